//! The PIN of a security key. The authenticator library asks for it from
//! the key's own (blocking) thread; whoever drives the sign-in answers
//! through a [`PinSource`]: the CLI on its terminal or stdin
//! ([`crate::prompt::TerminalPin`]), the desktop app with a dialog in its
//! window. The PIN goes to the key only: never to ibexd, a log or an event.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroizing;

use super::FidoError;

/// What [`PinSource::pin`] returns: the PIN, or `None` to give up.
pub type PinFuture<'a> = Pin<Box<dyn Future<Output = Option<Zeroizing<String>>> + Send + 'a>>;

/// Asks the person for the security key's PIN.
pub trait PinSource: Send {
    /// The key needs its PIN. `None` (or an empty PIN) gives up: the
    /// sign-in then fails with [`FidoError::NoPin`].
    fn pin(&mut self) -> PinFuture<'_>;
}

/// A [`PinSource`] with no way to ask: every question is declined.
#[derive(Debug, Default)]
pub struct NoPinSource;

impl PinSource for NoPinSource {
    fn pin(&mut self) -> PinFuture<'_> {
        Box::pin(async { None })
    }
}

/// One PIN question from the key's thread; the answer goes back on it.
type Question = std::sync::mpsc::Sender<Option<Zeroizing<String>>>;

/// The key thread's end: asks the caller's task, blocking until it answers.
/// (Only the USB path asks; the software token needs no PIN.)
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "usb"), allow(dead_code))]
pub(crate) struct PinAsker {
    questions: mpsc::UnboundedSender<Question>,
    declined: Arc<AtomicBool>,
}

#[cfg_attr(not(feature = "usb"), allow(dead_code))]
impl PinAsker {
    /// Asks for the PIN (blocks the calling thread); `None` when the person
    /// declined or the caller is gone.
    pub(crate) fn ask(&self) -> Option<Zeroizing<String>> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.questions.send(tx).ok()?;
        let pin = rx.recv().ok().flatten();
        if pin.is_none() {
            self.declined.store(true, Ordering::Relaxed);
        }
        pin
    }

    /// Whether a PIN question was declined.
    pub(crate) fn declined(&self) -> bool {
        self.declined.load(Ordering::Relaxed)
    }
}

/// Runs `job` on a thread of its own and answers its PIN questions from
/// `pins` until it returns, or fails with [`FidoError::Timeout`] once
/// `timeout` has passed (the thread is left to end by itself).
#[cfg_attr(not(feature = "usb"), allow(dead_code))]
pub(crate) async fn with_pins<T: Send + 'static>(
    job: impl FnOnce(PinAsker) -> Result<T, FidoError> + Send + 'static,
    pins: &mut dyn PinSource,
    timeout: Duration,
) -> Result<T, FidoError> {
    let (questions, mut asked) = mpsc::unbounded_channel::<Question>();
    let (done_tx, mut done) = oneshot::channel();
    let asker = PinAsker {
        questions,
        declined: Arc::default(),
    };
    std::thread::spawn(move || {
        let _ = done_tx.send(job(asker));
    });
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            r = &mut done => {
                return r.unwrap_or_else(|_| Err(FidoError::Other("the security key's thread stopped".into())));
            }
            Some(reply) = asked.recv() => {
                let pin = pins.pin().await.filter(|p| !p.is_empty());
                let _ = reply.send(pin);
            }
            _ = &mut deadline => return Err(FidoError::Timeout(timeout.as_secs())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers with the PINs given, in order, then declines; counts the questions.
    struct Scripted(Vec<Option<&'static str>>, usize);

    impl PinSource for Scripted {
        fn pin(&mut self) -> PinFuture<'_> {
            self.1 += 1;
            let next = if self.0.is_empty() {
                None
            } else {
                self.0.remove(0)
            };
            Box::pin(async move { next.map(|p| Zeroizing::new(p.to_string())) })
        }
    }

    #[tokio::test]
    async fn the_key_thread_gets_the_pin_from_the_source() {
        let mut pins = Scripted(vec![Some("1234"), Some("5678")], 0);
        let got = with_pins(
            |asker| {
                let a = asker.ask().map(|p| p.to_string());
                let b = asker.ask().map(|p| p.to_string());
                Ok((a, b, asker.declined()))
            },
            &mut pins,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(
            got,
            (Some("1234".to_string()), Some("5678".to_string()), false)
        );
        assert_eq!(pins.1, 2, "asked once per question");
    }

    #[tokio::test]
    async fn an_empty_or_missing_pin_is_declined() {
        for answer in [None, Some("")] {
            let mut pins = Scripted(vec![answer], 0);
            let declined = with_pins(
                |asker| Ok((asker.ask().is_none(), asker.declined())),
                &mut pins,
                Duration::from_secs(5),
            )
            .await
            .unwrap();
            assert_eq!(declined, (true, true), "{answer:?}");
        }
        let none = with_pins(
            |asker| Ok(asker.ask().is_none()),
            &mut NoPinSource,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert!(none);
    }

    #[tokio::test]
    async fn the_job_error_and_the_timeout_come_back() {
        let e = with_pins::<()>(
            |_| Err(FidoError::WrongPin),
            &mut NoPinSource,
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, FidoError::WrongPin), "{e}");
        let e = with_pins(
            |_| {
                std::thread::sleep(Duration::from_millis(500));
                Ok(())
            },
            &mut NoPinSource,
            Duration::from_millis(50),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, FidoError::Timeout(_)), "{e}");
    }
}
