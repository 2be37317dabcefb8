//! Answering the daemon's prompts: hidden input on a terminal, or one line
//! per prompt from stdin for scripts.

use ibex_ipc::{FidoRequest, Prompt, PromptKind};
use tokio::io::{AsyncBufReadExt, BufReader, Stdin};
use zeroize::Zeroizing;

use crate::fido::{PinFuture, PinSource};

/// Lines of stdin, one per prompt.
pub struct StdinLines {
    lines: tokio::io::Lines<BufReader<Stdin>>,
}

impl Default for StdinLines {
    fn default() -> StdinLines {
        StdinLines::new()
    }
}

impl StdinLines {
    /// Reads stdin lazily.
    pub fn new() -> StdinLines {
        StdinLines {
            lines: BufReader::new(tokio::io::stdin()).lines(),
        }
    }

    /// The next line, without its newline; `None` at end of input.
    pub async fn next(&mut self) -> Option<String> {
        self.lines.next_line().await.ok().flatten()
    }
}

/// The CLI's security key PIN: asked on the terminal without echo, or the
/// next line of stdin when stdin is not a terminal.
pub struct TerminalPin<'a> {
    /// Whether stdin is a terminal.
    pub interactive: bool,
    /// stdin's lines, for scripts.
    pub lines: &'a mut StdinLines,
}

impl PinSource for TerminalPin<'_> {
    fn pin(&mut self) -> PinFuture<'_> {
        Box::pin(async move {
            if self.interactive {
                rpassword::prompt_password("PIN of your security key: ")
                    .ok()
                    .map(Zeroizing::new)
            } else {
                self.lines.next().await.map(Zeroizing::new)
            }
        })
    }
}

/// What to ask for a prompt kind.
fn label(p: &Prompt) -> String {
    let what = match p.kind {
        PromptKind::Psk => "Pre-shared key",
        PromptKind::Password => "Password",
        PromptKind::Otp => "One-time code",
        PromptKind::Pin => "Security key PIN",
        PromptKind::CertificatePassphrase => "Certificate passphrase",
        PromptKind::Push => "Approve on your device, then press Enter",
        PromptKind::Fido2 => "Touch your security key, then press Enter",
        PromptKind::Unknown => "Answer",
    };
    // Text from the gateway is untrusted: strip control characters.
    match &p.text {
        Some(t) => format!(
            "{} ({}): ",
            what,
            t.chars().filter(|c| !c.is_control()).collect::<String>()
        ),
        None => format!("{what}: "),
    }
}

/// Asks on the terminal without echo.
pub fn ask_terminal(p: &Prompt) -> Option<String> {
    rpassword::prompt_password(label(p)).ok()
}

/// The line shown before the security key is asked to sign.
pub fn fido_notice(p: &Prompt, request: &FidoRequest) -> String {
    // Text from the gateway is untrusted: strip control characters.
    let clean = |t: &str| t.chars().filter(|c| !c.is_control()).collect::<String>();
    let mut line = format!(
        "Touch your security key to sign in to {}",
        clean(&request.rp_id)
    );
    if let Some(t) = p
        .text
        .as_deref()
        .filter(|t| !t.is_empty() && *t != "Touch your security key")
    {
        line.push_str(&format!(" ({})", clean(t)));
    }
    if std::env::var_os(crate::fido::SOFT_TOKEN_ENV).is_some() {
        line.push_str(" [software token]");
    }
    line
}

/// The line shown while a push approval is pending.
pub fn push_notice(p: &Prompt) -> String {
    let text: String = p
        .text
        .as_deref()
        .unwrap_or("Approve the sign-in on your device")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    match &p.number_to_match {
        Some(n) => format!("{text}. Number to match: {n}"),
        None => text,
    }
}
