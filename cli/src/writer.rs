//! A write from the command line: encoded here, prepared by the gateway and checked against
//! it, shown in words with the monitor's verdict, confirmed, signed and relayed.

use crate::output::Output;
use alloy::signers::local::PrivateKeySigner;
use eyre::bail;
use std::io::BufRead;
use timebank_bindings::types::MonitorAction;
use timebank_client::{Action, Checked, Session, api::Relayed};

/// What a write needs: where to print, the session, the wallet, and whether to ask first.
pub struct Writer<'a> {
    pub out: &'a Output,
    pub session: &'a Session,
    pub signer: &'a PrivateKeySigner,
    pub yes: bool,
}

impl Writer<'_> {
    /// A write: encoded here, prepared and checked against the gateway's preparation, shown
    /// and confirmed (unless `--yes`), signed, relayed.
    pub async fn act(&self, action: Action) -> eyre::Result<()> {
        let spinner = self.out.spinner("preparing");
        let checked = self.session.prepare(&action).await;
        spinner.finish_and_clear();
        let answer = self.sign(&checked?).await?;
        self.report(&answer)
    }

    /// Shows the write in words with the monitor's verdict and asks, unless `--yes`.
    fn confirm(&self, checked: &Checked) -> eyre::Result<()> {
        if self.yes {
            return Ok(());
        }
        eprint!("即将签名 / you are about to sign:\n{}", checked.description);
        if let Some(verdict) = &checked.prepared.monitor {
            eprintln!("{}", verdict_in_words(verdict.action, &verdict.rules));
        }
        eprint!("签名并发送？/ sign and send? [y/N] ");
        let mut answer = String::new();
        let read = std::io::stdin().lock().read_line(&mut answer)?;
        if read == 0 {
            bail!(
                "无法确认（没有输入）/ nothing to confirm with (no input): pass --yes to sign \
                 without asking"
            );
        }
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            bail!("未签名 / not signed");
        }
        Ok(())
    }

    /// Confirms, signs and relays a checked write; a transaction that failed is an error.
    pub async fn sign(&self, checked: &Checked) -> eyre::Result<Relayed> {
        self.confirm(checked)?;
        let spinner = self.out.spinner("signing and relaying");
        let answer = self.session.sign_and_relay(self.signer, checked).await;
        spinner.finish_and_clear();
        let answer = answer?;
        if !answer.success {
            bail!(
                "transaction {} failed: {}",
                answer.tx_hash,
                answer.failure.as_deref().unwrap_or("no reason given")
            );
        }
        Ok(answer)
    }

    /// Says how a relayed write went.
    fn report(&self, answer: &Relayed) -> eyre::Result<()> {
        if self.out.json {
            println!("{}", serde_json::to_value(answer)?);
        } else {
            println!(
                "完成 / done: transaction {} in block {}{}",
                answer.tx_hash,
                answer.block_number,
                match answer.monitor.as_ref().map(|m| m.action) {
                    Some(MonitorAction::Flag) =>
                        "（已标记并立案 / flagged by the monitor: a case was opened）".to_owned(),
                    Some(MonitorAction::Hold) =>
                        "（已暂扣，待监管员决定 / held until a supervisor decides）".to_owned(),
                    _ => String::new(),
                }
            );
        }
        Ok(())
    }
}

/// The monitor's verdict on a payment, in words.
fn verdict_in_words(action: MonitorAction, rules: &[String]) -> String {
    let why = if rules.is_empty() {
        String::new()
    } else {
        format!(" ({})", rules.join(", "))
    };
    match action {
        MonitorAction::None => "监控放行 / the monitor lets it through".to_owned(),
        MonitorAction::Flag => {
            format!("监控将标记并立案 / the monitor will flag it and open a case{why}")
        }
        MonitorAction::Hold => format!(
            "监控将暂扣，待监管员决定 / the monitor will hold the coins until a supervisor \
             decides{why}"
        ),
        MonitorAction::Block => format!("监控将拦截 / the monitor blocks it{why}"),
    }
}
