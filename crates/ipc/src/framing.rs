//! JSON-lines framing over tokio streams, with a bound on line length.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::buffer::SecureBuf;
use crate::error::IpcError;
use crate::message::Message;

/// Longest line accepted or sent, in bytes without the newline (1 MiB:
/// a profile with several CA certificates fits easily).
pub const MAX_LINE_LEN: usize = 1 << 20;

/// Reads the next message; `Ok(None)` when the peer closed the connection
/// between lines. Blank lines are skipped and a trailing `\r` is ignored.
///
/// A line longer than [`MAX_LINE_LEN`] fails with
/// [`IpcError::LineTooLong`] after buffering at most that much; the stream
/// is then out of step and must be closed. A line that is not a valid
/// message fails with [`IpcError::Decode`] and the next call reads the
/// next line. The line is read into a buffer wiped after decoding (the
/// reader's own buffer is overwritten as reading goes on).
pub async fn read_message<R, M>(reader: &mut R) -> Result<Option<M>, IpcError>
where
    R: AsyncBufRead + Unpin,
    M: Message,
{
    let mut line = SecureBuf::default();
    loop {
        line.clear();
        if !read_line(reader, &mut line).await? {
            return Ok(None);
        }
        let mut bytes = line.as_slice();
        if let Some(stripped) = bytes.strip_suffix(b"\r") {
            bytes = stripped;
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Ok(Some(M::decode(bytes)?));
    }
}

/// Reads up to and excluding the next `\n` into `line`; `false` at EOF
/// before any byte.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut SecureBuf,
) -> Result<bool, IpcError> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            if line.is_empty() {
                return Ok(false);
            }
            return Err(IpcError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the peer closed the connection in the middle of a line",
            )));
        }
        let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        if line.len() + chunk.len() > MAX_LINE_LEN {
            return Err(IpcError::LineTooLong {
                limit: MAX_LINE_LEN,
            });
        }
        line.extend(chunk);
        reader.consume(used);
        if done {
            return Ok(true);
        }
    }
}

/// Writes `message` as one line and flushes. Fails with
/// [`IpcError::MessageTooLarge`], writing nothing, if the line would exceed
/// [`MAX_LINE_LEN`].
pub async fn write_message<W, M>(writer: &mut W, message: &M) -> Result<(), IpcError>
where
    W: AsyncWrite + Unpin,
    M: Message,
{
    let line = message.encode()?;
    if line.len() > MAX_LINE_LEN {
        return Err(IpcError::MessageTooLarge {
            len: line.len(),
            limit: MAX_LINE_LEN,
        });
    }
    writer.write_all(&line).await?;
    writer.write_all(b"\n").await?;
    writer.flush().await?;
    Ok(())
}
