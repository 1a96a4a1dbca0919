//! The scenario: every kind of event the contracts emit, in one run.

use crate::{Chain, HOUR, U40_ONE, send};
use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolCall,
};
use timebank_bindings::{NoopMonitor, TimeCoin, TimebankAccess, TimebankTimelock, roles};

impl Chain {
    /// Two branches with operators, a supervisor, an issuer, a partner, members alice and bob
    /// (north) and carol (south), rewards, payments, credentials, services, a held gift with its
    /// decided case, a risk alert, moves, key rotations, a rejected, a suspended and a closed
    /// member, a second operator's approval of a large reward and a wallet recovery decided by a
    /// supervisor: every kind of event. Returns alice's recovered wallet.
    pub async fn scenario(&self) -> Address {
        let (access, identity, credentials, coin, ledger, desk) = (
            self.access(),
            self.identity(),
            self.credentials(),
            self.coin(),
            self.ledger(),
            self.desk(),
        );
        send!(access.addBranch("north".into(), "North".into(), Self::branch_key(1)));
        send!(access.addBranch("south".into(), "South".into(), Self::branch_key(2)));
        send!(access.updateBranch(1, "north".into(), "North Region".into()));
        send!(access.grantRole(roles::operator(1), self.op1));
        send!(access.grantRole(roles::operator(1), self.op1b));
        send!(access.grantRole(roles::operator(2), self.op2));
        // The admin proposes north's new key, an operator confirms it (the delay is 0 here);
        // south's proposal is withdrawn.
        send!(access.proposeBranchKey(1, Self::branch_key(3)));
        send!(access.confirmBranchKey(1).from(self.op1));
        send!(
            access
                .proposeBranchKey(2, Self::branch_key(4))
                .from(self.op2)
        );
        send!(access.cancelBranchKey(2));
        // South's gateway key anchors its access log twice (north's gateway anchors its own in
        // the gateway's tests).
        send!(access.grantRole(roles::gateway(2), self.issuer));
        // The same key binds north's members' uniqueness keys, as a gateway would.
        send!(access.grantRole(roles::gateway(1), self.issuer));
        send!(
            access
                .anchorAccessLog(2, 2, keccak256("two entries"))
                .from(self.issuer)
        );
        send!(
            access
                .anchorAccessLog(2, 5, keccak256("five entries"))
                .from(self.issuer)
        );
        self.govern(&[(
            self.deployment.contracts.access,
            TimebankAccess::grantRoleCall {
                role: roles::SUPERVISOR,
                account: self.supervisor,
            }
            .abi_encode(),
        )])
        .await;
        send!(access.grantRole(roles::PARTNER, self.partner));
        // A role granted in error and revoked; a branch paused and resumed; an admin transfer
        // and a change of its delay, both started and withdrawn.
        send!(access.grantRole(roles::AUDITOR, self.carol));
        send!(access.revokeRole(roles::AUDITOR, self.carol));
        send!(access.setBranchActive(2, false));
        send!(access.setBranchActive(2, true));
        send!(access.beginDefaultAdminTransfer(self.carol));
        send!(access.cancelDefaultAdminTransfer());
        send!(access.changeDefaultAdminDelay(alloy::primitives::aliases::U48::from(3600)));
        send!(access.rollbackDefaultAdminDelay());
        send!(credentials.defineCredentialType(1, "nursing".into()));
        send!(credentials.defineCredentialType(3, "upload".into()));
        send!(credentials.setCredentialTypeActive(2, false));
        send!(credentials.setCredentialTypeActive(2, true));
        send!(access.grantRole(roles::issuer(1), self.issuer));
        send!(ledger.setMintQuota(1, 1000 * HOUR));
        send!(ledger.setMintQuota(2, 1000 * HOUR));
        send!(ledger.setSecondApproval(1, 15 * HOUR));
        for (member, branch) in [(self.alice, 1u32), (self.bob, 1), (self.carol, 2)] {
            let (submitter, approver) = if branch == 1 {
                (self.op1, self.op1b)
            } else {
                (self.op2, self.op2)
            };
            send!(
                identity
                    .submitMember(
                        member,
                        branch,
                        keccak256(member),
                        vec![0xc0, 0xff, 0xee].into()
                    )
                    .from(submitter)
            );
            send!(
                identity
                    .bindUniquenessKey(member, crate::person(member))
                    .from(self.issuer)
            );
            if branch == 1 {
                send!(identity.approveMember(member).from(approver));
            }
        }
        // carol's branch has one operator: a second one joins to approve.
        send!(access.grantRole(roles::operator(2), self.partner_as_operator()));
        send!(
            identity
                .approveMember(self.carol)
                .from(self.partner_as_operator())
        );
        // dave is rejected; erin is suspended, reinstated and closed.
        let (dave, erin) = (Address::repeat_byte(0xda), Address::repeat_byte(0xe1));
        for who in [dave, erin] {
            send!(
                identity
                    .submitMember(who, 1, keccak256(who), vec![1].into())
                    .from(self.op1)
            );
            send!(
                identity
                    .bindUniquenessKey(who, crate::person(who))
                    .from(self.issuer)
            );
        }
        send!(
            identity
                .rejectMember(dave, B256::repeat_byte(0xd))
                .from(self.op1b)
        );
        send!(identity.approveMember(erin).from(self.op1b));
        send!(
            identity
                .suspendMember(erin, B256::repeat_byte(0xe))
                .from(self.op1)
        );
        send!(
            identity
                .reinstateMember(erin, B256::repeat_byte(0xe))
                .from(self.supervisor)
        );
        send!(
            identity
                .closeMember(erin, B256::repeat_byte(0xe))
                .from(self.op1)
        );
        let far = alloy::primitives::aliases::U40::from(4_000_000_000u64);
        send!(
            credentials
                .issueCredential(self.alice, 1, B256::repeat_byte(7), far)
                .from(self.issuer)
        );
        send!(
            credentials
                .renewCredential(self.alice, 1, B256::repeat_byte(7), far + U40_ONE)
                .from(self.issuer)
        );
        send!(
            credentials
                .issueCredential(self.bob, 1, B256::repeat_byte(3), far)
                .from(self.issuer)
        );
        send!(
            credentials
                .revokeCredential(self.bob, 1, B256::repeat_byte(3))
                .from(self.issuer)
        );
        send!(
            credentials
                .declareCredential(2, B256::repeat_byte(0xc), far)
                .from(self.carol)
        );
        for (n, (member, op, branch)) in [
            (self.alice, self.op1, 1u32),
            (self.bob, self.op1, 1),
            (self.carol, self.op2, 2),
        ]
        .into_iter()
        .enumerate()
        {
            let id = U256::from(n + 1); // activities are numbered from 1
            send!(
                ledger
                    .createActivity(branch, 0, 20 * HOUR, 0, B256::repeat_byte(1))
                    .from(op)
            );
            send!(ledger.joinActivity(id).from(member));
            send!(ledger.recordHours(id, member, 10 * HOUR).from(op));
            send!(ledger.confirmHours(id, 10 * HOUR).from(member));
            send!(ledger.settle(id, member).from(op));
        }
        // A training above north's second-approval amount: two operators settle it.
        send!(
            ledger
                .createActivity(1, 1, 20 * HOUR, 1, B256::repeat_byte(1))
                .from(self.op1)
        );
        let training = U256::from(4);
        send!(ledger.joinActivity(training).from(self.alice));
        send!(
            ledger
                .recordHours(training, self.alice, 16 * HOUR)
                .from(self.op1)
        );
        send!(ledger.confirmHours(training, 16 * HOUR).from(self.alice));
        send!(ledger.settle(training, self.alice).from(self.op1));
        send!(ledger.settle(training, self.alice).from(self.op1b));
        send!(ledger.closeActivity(training).from(self.op1));
        send!(coin.transfer(self.bob, U256::from(HOUR)).from(self.alice));
        send!(coin.approve(self.bob, U256::from(HOUR)).from(self.alice));
        // A gift with a reference (a member's own payment is a gift; services pay below).
        send!(
            coin.pay(self.carol, U256::from(2 * HOUR), 3, B256::repeat_byte(9))
                .from(self.alice)
        );
        send!(
            ledger
                .proposeService(self.alice, HOUR, B256::repeat_byte(2))
                .from(self.bob)
        );
        send!(ledger.confirmService(U256::from(1)).from(self.alice));
        send!(
            ledger
                .proposeService(self.bob, HOUR, B256::repeat_byte(2))
                .from(self.carol)
        );
        send!(ledger.cancelService(U256::from(2)).from(self.bob));
        send!(
            ledger
                .proposeService(self.alice, 2 * HOUR, B256::repeat_byte(3))
                .from(self.carol)
        );
        send!(ledger.confirmService(U256::from(3)).from(self.alice));
        send!(coin.redeem(U256::from(HOUR), B256::ZERO).from(self.carol));
        // A gift held while no desk opens cases, adopted by the desk and released.
        let noop = NoopMonitor::deploy(&self.provider).await.unwrap();
        let (config, actions) = self.default_rules().await;
        self.govern(&[
            (
                self.deployment.contracts.time_coin,
                TimeCoin::setMonitorRulesCall {
                    config: config.clone(),
                    actions,
                }
                .abi_encode(),
            ),
            (
                self.deployment.contracts.time_coin,
                TimeCoin::setMonitorCall {
                    newMonitor: *noop.address(),
                }
                .abi_encode(),
            ),
        ])
        .await;
        send!(
            coin.transfer(self.alice, U256::from(10 * HOUR))
                .from(self.carol)
        );
        self.govern(&[(
            self.deployment.contracts.time_coin,
            TimeCoin::setMonitorCall {
                newMonitor: self.deployment.contracts.supervision_desk,
            }
            .abi_encode(),
        )])
        .await;
        send!(desk.adoptHold(U256::from(1)).from(self.supervisor));
        send!(
            desk.decideCase(U256::from(1), 2, B256::repeat_byte(4), 0)
                .from(self.supervisor)
        );
        // A change the guardian cancels in the timelock's queue.
        self.cancelled_change().await;
        // Rules on: a large gift is held, and a supervisor clears the case (no case moves a risk
        // level by itself: bob's stays None).
        self.govern(&[(
            self.deployment.contracts.time_coin,
            TimeCoin::setMonitorRulesCall { config, actions }.abi_encode(),
        )])
        .await;
        send!(
            coin.transfer(self.carol, U256::from(10 * HOUR))
                .from(self.bob)
        );
        send!(
            desk.decideCase(U256::from(2), 2, B256::repeat_byte(4), 0)
                .from(self.supervisor)
        );
        // bob lets the partner hear of his membership: the assessment below reaches it.
        send!(
            identity
                .setPartnerConsent(self.partner, true)
                .from(self.bob)
        );
        send!(
            identity
                .raiseRiskAlert(self.bob, B256::repeat_byte(5))
                .from(self.partner)
        );
        send!(
            identity
                .assessRiskAlert(U256::from(1), 2, B256::repeat_byte(6))
                .from(self.supervisor)
        );
        send!(identity.requestMove(self.carol, 1).from(self.carol));
        send!(identity.cancelMove(self.carol).from(self.op2));
        send!(identity.requestMove(self.bob, 2).from(self.bob));
        send!(identity.acceptMove(self.bob).from(self.op2));
        send!(
            identity
                .updateProfile(self.alice, keccak256("v2"), vec![1, 2, 3].into())
                .from(self.op1)
        );
        // alice loses her wallet: an operator asks, a supervisor approves.
        let fresh: Address = "0x00000000000000000000000000000000000a11ce"
            .parse()
            .unwrap();
        send!(
            desk.requestRecovery(self.alice, fresh, B256::repeat_byte(8))
                .from(self.op1)
        );
        send!(
            desk.decideCase(U256::from(3), 2, B256::repeat_byte(8), 0)
                .from(self.supervisor)
        );
        fresh
    }

    /// The admin schedules switching the monitor off; the guardian cancels it.
    async fn cancelled_change(&self) {
        let timelock = TimebankTimelock::new(self.deployment.contracts.timelock, &self.provider);
        let (target, data) = (
            self.deployment.contracts.time_coin,
            alloy::primitives::Bytes::from(
                TimeCoin::setRuleEnabledCall {
                    ruleId: 1,
                    enabled: false,
                }
                .abi_encode(),
            ),
        );
        let salt = B256::repeat_byte(0x5a);
        send!(timelock.schedule(
            target,
            U256::ZERO,
            data.clone(),
            B256::ZERO,
            salt,
            U256::ZERO
        ));
        let id = timelock
            .hashOperation(target, U256::ZERO, data, B256::ZERO, salt)
            .call()
            .await
            .unwrap();
        send!(timelock.cancel(id));
        // The guardian's role, given to carol and taken back, by the timelock itself.
        let canceller = timelock.CANCELLER_ROLE().call().await.unwrap();
        let own = self.deployment.contracts.timelock;
        self.govern(&[
            (
                own,
                TimebankTimelock::grantRoleCall {
                    role: canceller,
                    account: self.carol,
                }
                .abi_encode(),
            ),
            (
                own,
                TimebankTimelock::revokeRoleCall {
                    role: canceller,
                    account: self.carol,
                }
                .abi_encode(),
            ),
        ])
        .await;
    }

    fn partner_as_operator(&self) -> Address {
        // The partner account doubles as branch 2's second operator in this scenario.
        self.partner
    }
}
