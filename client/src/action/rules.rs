//! The monitoring rules in words: each rule by name, on or off, and what it does when it fires,
//! with the thresholds and windows of `MonitorRules.Config` (docs/monitoring.md explains each).

use super::ActionError;
use alloy::primitives::aliases::U24;
use serde::{Deserialize, Serialize};
use timebank_bindings::{rules, time_coin::MonitorRules::Config, types::MonitorAction};

/// One rule: on or off, and what it does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSetting {
    /// Its name (`large_amount`, `velocity`, `volume`, `structuring`, `round_trip`,
    /// `new_account`, `risky_counterparty`, `dormant_reactivation`).
    pub rule: String,
    /// Whether it runs.
    pub enabled: bool,
    /// What it does when it fires.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::monitor_action))]
    pub action: MonitorAction,
}

/// The monitoring rules, as `TimeCoin.setMonitorRules` takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Rules {
    /// Every rule, in id order.
    pub rules: Vec<RuleSetting>,
    /// Large amounts per purpose, whole hours (0 switches the purpose off).
    pub large_activity_reward: u16,
    pub large_training_reward: u16,
    pub large_service_payment: u16,
    pub large_gift: u16,
    /// The per-account window of velocity, volume and structuring, seconds.
    pub window_secs: u32,
    pub velocity_count: u8,
    /// Hours out and in per window.
    pub volume_out: u16,
    pub volume_in: u16,
    pub structuring_count: u8,
    /// Percent below a large threshold that counts as structuring.
    pub structuring_band: u8,
    pub round_trip_window_secs: u32,
    pub new_account_days: u8,
    /// Hundredths of an hour below which a movement is dust.
    pub dust_amount: u16,
    pub new_account_amount: u16,
    /// The counterparty risk level that fires (1 Low to 4 Blocked).
    pub risky_level: u8,
    pub dormant_days: u16,
    pub dormant_amount: u16,
}

/// The rule names, by id - 1.
fn names() -> impl Iterator<Item = (u8, &'static str)> {
    (1..=rules::COUNT).map(|id| (id, rules::BITS[usize::from(id - 1)].1))
}

impl Rules {
    /// The rules as the contract holds them.
    pub fn from_chain(c: &Config, actions: u32) -> Self {
        let rules = names()
            .map(|(id, name)| {
                let shift = 2 * u32::from(id - 1);
                RuleSetting {
                    rule: name.to_owned(),
                    enabled: c.enabled & (1 << (id - 1)) != 0,
                    action: MonitorAction::try_from(((actions >> shift) & 3) as u8)
                        .unwrap_or(MonitorAction::None),
                }
            })
            .collect();
        Self {
            rules,
            large_activity_reward: c.largeActivityReward,
            large_training_reward: c.largeTrainingReward,
            large_service_payment: c.largeServicePayment,
            large_gift: c.largeGift,
            window_secs: c.window.to(),
            velocity_count: c.velocityCount,
            volume_out: c.volumeOut,
            volume_in: c.volumeIn,
            structuring_count: c.structuringCount,
            structuring_band: c.structuringBand,
            round_trip_window_secs: c.roundTripWindow.to(),
            new_account_days: c.newAccountDays,
            dust_amount: c.dustAmount,
            new_account_amount: c.newAccountAmount,
            risky_level: c.riskyLevel,
            dormant_days: c.dormantDays,
            dormant_amount: c.dormantAmount,
        }
    }

    /// The contract's arguments: the config and the actions word. Every rule must be named
    /// once; the contract checks the values.
    pub fn to_chain(&self) -> Result<(Config, u32), ActionError> {
        let mut enabled = 0u8;
        let mut actions = 0u32;
        for (id, name) in names() {
            let mut settings = self.rules.iter().filter(|r| r.rule == name);
            let (Some(setting), None) = (settings.next(), settings.next()) else {
                return Err(ActionError(format!(
                    "`rules` must name `{name}` exactly once"
                )));
            };
            if setting.enabled {
                enabled |= 1 << (id - 1);
            }
            actions |= u32::from(setting.action as u8) << (2 * u32::from(id - 1));
        }
        if let Some(unknown) = self
            .rules
            .iter()
            .find(|r| names().all(|(_, name)| name != r.rule))
        {
            return Err(ActionError(format!(
                "`rules` names {:?}, which is no rule",
                unknown.rule
            )));
        }
        let u24 = |secs: u32, field: &str| {
            U24::try_from(secs)
                .map_err(|_| ActionError(format!("`{field}` is {secs}; at most 16777215 seconds")))
        };
        Ok((
            Config {
                enabled,
                largeActivityReward: self.large_activity_reward,
                largeTrainingReward: self.large_training_reward,
                largeServicePayment: self.large_service_payment,
                largeGift: self.large_gift,
                window: u24(self.window_secs, "windowSecs")?,
                velocityCount: self.velocity_count,
                volumeOut: self.volume_out,
                volumeIn: self.volume_in,
                structuringCount: self.structuring_count,
                structuringBand: self.structuring_band,
                roundTripWindow: u24(self.round_trip_window_secs, "roundTripWindowSecs")?,
                newAccountDays: self.new_account_days,
                dustAmount: self.dust_amount,
                newAccountAmount: self.new_account_amount,
                riskyLevel: self.risky_level,
                dormantDays: self.dormant_days,
                dormantAmount: self.dormant_amount,
            },
            actions,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_go_to_the_chain_and_back_unchanged() {
        let (config, actions) = (
            Config {
                enabled: 0b1011_0101,
                largeActivityReward: 40,
                largeTrainingReward: 41,
                largeServicePayment: 24,
                largeGift: 10,
                window: U24::from(86_400),
                velocityCount: 10,
                volumeOut: 60,
                volumeIn: 61,
                structuringCount: 3,
                structuringBand: 20,
                roundTripWindow: U24::from(3_600),
                newAccountDays: 7,
                dustAmount: 50,
                newAccountAmount: 12,
                riskyLevel: 3,
                dormantDays: 180,
                dormantAmount: 20,
            },
            0b10_01_11_00_01_10_01_10,
        );
        let rules = Rules::from_chain(&config, actions);
        assert_eq!(rules.rules[0].rule, "large_amount");
        assert_eq!(rules.rules[0].action, MonitorAction::Hold);
        assert!(!rules.rules[1].enabled);
        let (back, back_actions) = rules.to_chain().unwrap();
        assert_eq!((back.enabled, back_actions), (config.enabled, actions));
        assert_eq!(back.largeGift, 10);
        assert_eq!(back.roundTripWindow, U24::from(3_600));

        let mut missing = rules.clone();
        missing.rules.pop();
        assert!(
            missing
                .to_chain()
                .unwrap_err()
                .0
                .contains("dormant_reactivation")
        );
        let mut unknown = rules.clone();
        unknown.rules.push(RuleSetting {
            rule: "vibes".into(),
            enabled: true,
            action: MonitorAction::Flag,
        });
        assert!(unknown.to_chain().unwrap_err().0.contains("vibes"));
        let mut long = rules;
        long.window_secs = 1 << 24;
        assert!(long.to_chain().unwrap_err().0.contains("windowSecs"));
    }
}
