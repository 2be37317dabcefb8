//! Key log lines in Wireshark's decryption-table formats (`ikev2_decryption_table`
//! and `esp_sa` UAT files), so a capture can be decrypted by tshark.
//!
//! Dangerous by design: these lines contain session keys. The engine produces them
//! only when [`crate::Config::keylog`] is set.

use std::fmt;
use std::fmt::Write as _;

use crate::crypto::{EncrAlg, IkeSaKeys, IntegAlg};

/// Which Wireshark table a line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyLogTable {
    /// `ikev2_decryption_table`.
    Ike,
    /// `esp_sa`.
    Esp,
}

impl KeyLogTable {
    /// The UAT file name Wireshark reads.
    pub fn file_name(&self) -> &'static str {
        match self {
            KeyLogTable::Ike => "ikev2_decryption_table",
            KeyLogTable::Esp => "esp_sa",
        }
    }
}

/// One line of a key log table (without newline). `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyLogLine {
    /// The table.
    pub table: KeyLogTable,
    line: zeroize::Zeroizing<String>,
}

impl KeyLogLine {
    /// The line itself: contains secret keys.
    pub fn expose(&self) -> &str {
        &self.line
    }
}

impl fmt::Debug for KeyLogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyLogLine({:?}, [redacted])", self.table)
    }
}

fn hex(out: &mut String, b: &[u8]) {
    for x in b {
        let _ = write!(out, "{x:02x}");
    }
}

/// The `ikev2_decryption_table` line of an IKE SA; `None` when Wireshark's
/// table has no entry for the cipher (ChaCha20-Poly1305), since one unknown
/// row makes Wireshark reject the whole file.
pub fn ike_line(
    spi_i: &[u8; 8],
    spi_r: &[u8; 8],
    encr: EncrAlg,
    integ: Option<IntegAlg>,
    keys: &IkeSaKeys,
) -> Option<KeyLogLine> {
    if !encr.wireshark_ike_supported() {
        return None;
    }
    let mut s = String::new();
    hex(&mut s, spi_i);
    s.push(',');
    hex(&mut s, spi_r);
    s.push(',');
    hex(&mut s, keys.sk_ei.expose());
    s.push(',');
    hex(&mut s, keys.sk_er.expose());
    let _ = write!(s, ",\"{}\",", encr.wireshark_ike_name());
    match integ {
        Some(i) => {
            hex(&mut s, keys.sk_ai.expose());
            s.push(',');
            hex(&mut s, keys.sk_ar.expose());
            let _ = write!(s, ",\"{}\"", i.wireshark_ike_name());
        }
        None => s.push_str(",,\"NONE [RFC4306]\""),
    }
    Some(KeyLogLine {
        table: KeyLogTable::Ike,
        line: zeroize::Zeroizing::new(s),
    })
}

/// The `esp_sa` line of one direction of an ESP SA. Addresses are wildcards
/// (`*`), as NAT may change them in the capture.
pub fn esp_line(
    ipv6: bool,
    spi: u32,
    encr: EncrAlg,
    encr_key: &[u8],
    integ: Option<IntegAlg>,
    integ_key: &[u8],
) -> KeyLogLine {
    let family = if ipv6 { "IPv6" } else { "IPv4" };
    let mut s = format!(
        "\"{family}\",\"*\",\"*\",\"0x{spi:08x}\",\"{}\",\"0x",
        encr.wireshark_esp_name()
    );
    hex(&mut s, encr_key);
    match integ {
        Some(i) => {
            let _ = write!(s, "\",\"{}\",\"0x", i.wireshark_esp_name());
            hex(&mut s, integ_key);
            s.push('"');
        }
        None => s.push_str("\",\"NULL\",\"\""),
    }
    KeyLogLine {
        table: KeyLogTable::Esp,
        line: zeroize::Zeroizing::new(s),
    }
}
