// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Value types shared by every timebank contract, the Rust bindings and the indexer.
// Enum order is part of the ABI: append new members, never reorder.

/// @notice Where a member is in the review lifecycle.
enum MemberStatus {
    None, // never registered at this address
    Pending, // submitted by an operator, waiting for a second operator's review
    Active, // reviewed and live at every branch
    Suspended, // temporarily barred from moving coins
    Closed // final: rejected, left, or superseded
}

/// @notice Assessed risk of a member. `Blocked` stops every coin movement of the account.
enum RiskLevel {
    None,
    Low,
    Medium,
    High,
    Blocked
}

/// @notice What a credential type attests and who may record it.
enum CredentialKind {
    IdentityCheck, // government identity check, by a trusted issuer
    ProfessionalLicence, // e.g. nursing or driving licence, by a trusted issuer
    TrainingCertificate, // by a trusted training issuer
    SelfDeclared // a document the member uploaded; recorded, never trusted for requirements
}

/// @notice Why time coins moved. Every movement carries one.
enum Purpose {
    ActivityReward, // minted at the settlement of a volunteer activity
    TrainingReward, // minted at the settlement of a training
    ServicePayment, // member-to-member payment for a service
    Gift, // member-to-member gift; a plain ERC-20 transfer counts as one
    Recovery, // balance moved to a member's recovered wallet
    Redemption // coins given back (burned) by their holder
}

/// @notice Whether a ServiceLedger entry is a volunteer activity or a training.
enum ActivityKind {
    Activity,
    Training
}

/// @notice What the monitor does with a movement that fires one of its rules. When several
/// rules fire, the strongest action applies (Block > Hold > Flag).
enum MonitorAction {
    None, // no rule fired
    Flag, // the movement goes through; an alert is raised and a supervision case opens
    Hold, // the coins go into escrow instead of to the recipient; a case opens
    Block // the movement reverts with the rule id
}
