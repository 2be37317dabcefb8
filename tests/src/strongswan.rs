//! One strongSwan charon per test role, fully private.
//!
//! Recipe (strongSwan 5.9.8 as packaged by Debian):
//! * `ip netns exec NS timeout -k 5 SECS unshare -m sh -c 'mount --make-rprivate / &&
//!   mount --bind DIR/run /run && exec charon'` with `STRONGSWAN_CONF=DIR/strongswan.conf`:
//!   Debian's charon hard-codes `/var/run/charon.pid`, so each instance gets its own `/run`
//!   in its own mount namespace; the VICI socket lives at `DIR/charon.vici`.
//! * `kernel-libipsec` is loaded **before** `kernel-netlink`: the first registered
//!   kernel-ipsec backend wins, and this kernel has no ESP in XFRM, so ESP runs in
//!   userspace over a TUN device (`ipsec0`). kernel-libipsec fakes NAT-D, so ESP is always
//!   UDP-encapsulated on port 4500 (`TUNNEL-in-UDP` in `--list-sas`).
//! * `swanctl --CMD --uri unix://DIR/charon.vici ...` (the command must come first).
//! * Logging to `DIR/charon.log`: default 1, ike 2, cfg 2, chd 2, enc 1, knl 1, net 1
//!   (`CharonConf::verbose` raises ike/chd to 4, which also dumps the derived keys).
//!
//! The connection is always called [`CONN`] and its child [`CHILD`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::netns::{Netns, LAN_NET, VIP_POOL};
use crate::{
    pid_alive, proc_lifetime_secs, release_tempdir, run_timeout, signal, tail, tempdir, which,
};

/// swanctl connection name (`swanctl --rekey --ike ibex`).
pub const CONN: &str = "ibex";
/// swanctl child name (`swanctl --initiate --child net`, `--rekey --child net`).
pub const CHILD: &str = "net";

/// Plugins loaded by every instance, in this order (kernel-libipsec before kernel-netlink!).
pub const PLUGINS: &str = "random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation \
     constraints curve25519 chapoly gcm aes sha1 sha2 hmac kdf attr kernel-libipsec \
     kernel-netlink socket-default vici";

const SWANCTL_TIMEOUT: Duration = Duration::from_secs(30);

/// Debian's charon location (or `IBEX_E2E_CHARON`).
pub fn charon_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("IBEX_E2E_CHARON") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/lib/ipsec/charon",
        "/usr/libexec/ipsec/charon",
        "/usr/sbin/charon",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
    .or_else(|| which("charon"))
}

/// Where the strongSwan plugins live (next to charon).
pub fn plugin_dir() -> PathBuf {
    charon_bin()
        .and_then(|c| c.parent().map(|d| d.join("plugins")))
        .unwrap_or_else(|| PathBuf::from("/usr/lib/ipsec/plugins"))
}

/// Which end of the IKE SA this charon is (decides pool/vips and local/remote TS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Initiator,
    Responder,
}

/// How this charon authenticates itself and its peer.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Pre-shared key for both directions.
    Psk(String),
    /// `auth = pubkey` both ways: own cert + key, peer verified against `ca`.
    Cert {
        cert: PathBuf,
        key: PathBuf,
        ca: PathBuf,
    },
    /// Gateway with EAP clients: `local { auth = pubkey }` with its own cert + key; the
    /// client (IDi = `remote_id`) signs in with EAP (`remote { auth = eap-...;
    /// eap_id = %any }`: charon asks for the EAP identity first). With
    /// `cert_round_first` the client must first sign with a certificate chaining to `ca`
    /// (`remote { auth = pubkey }`, then `remote2 { auth = eap-... }`, RFC 4739).
    EapGateway {
        cert: PathBuf,
        key: PathBuf,
        ca: PathBuf,
        backend: EapBackend,
        cert_round_first: bool,
    },
    /// EAP client: `local { auth = eap-...; id = local_id; eap_id }` with `secret` in
    /// `secrets { eap-... }`; the gateway must sign with a certificate chaining to `ca`.
    /// With `cert_round_first` = (cert, key) the client first signs with that certificate
    /// as `local_id` (`local { auth = pubkey }`), then runs EAP in a second round whose
    /// IDi is `eap_id` (`local2 { auth = eap-...; id = eap_id }`, RFC 4739).
    EapClient {
        ca: PathBuf,
        method: EapMethod,
        eap_id: String,
        secret: String,
        cert_round_first: Option<(PathBuf, PathBuf)>,
    },
    /// EAP-TLS client: `local { auth = eap-tls; id = local_id; eap_id; certs = own.pem }`
    /// (the client certificate and key are used inside TLS, there is no IKE signature).
    /// The gateway's certificates (IKE and TLS) must chain to `ca`. charon offers
    /// `N(EAP_ONLY_AUTHENTICATION)` in any case; `remote` is `auth = pubkey` (the gateway
    /// must sign IKE_AUTH, or charon accepts a missing AUTH only because EAP-TLS is
    /// mutual: `allow mutual EAP-only authentication`), or with `remote_eap_only`
    /// `auth = eap-tls` (strongSwan's own EAP-only setup, as in its `rw-eap-tls-only`
    /// test: the gateway is authenticated by EAP-TLS alone).
    EapTlsClient {
        cert: PathBuf,
        key: PathBuf,
        ca: PathBuf,
        eap_id: String,
        remote_eap_only: bool,
    },
}

/// An EAP method charon runs itself (plugin `eap-<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EapMethod {
    MsChapV2,
    Gtc,
    /// Only as [`EapBackend::Tls`] / [`Auth::EapTlsClient`] (it needs a certificate).
    Tls,
}

impl EapMethod {
    /// The swanctl `auth` value and plugin name (`eap-mschapv2`, `eap-gtc`, `eap-tls`).
    pub fn name(self) -> &'static str {
        match self {
            EapMethod::MsChapV2 => "eap-mschapv2",
            EapMethod::Gtc => "eap-gtc",
            EapMethod::Tls => "eap-tls",
        }
    }
}

/// Who checks the EAP client on a charon gateway.
#[derive(Debug, Clone)]
pub enum EapBackend {
    /// charon itself, `auth = eap-mschapv2`, users (EAP identity, password) in `secrets`.
    /// MD4 for the NT hash comes from the openssl plugin (OpenSSL 3's legacy provider,
    /// which the plugin loads by default: `charon.plugins.openssl.load_legacy`); Debian
    /// ships no `md4` plugin.
    MsChapV2 { users: Vec<(String, String)> },
    /// `auth = eap-radius`: EAP is relayed to a RADIUS server (`eap_start = no`: charon
    /// asks for the identity itself and sends it in the first Access-Request).
    Radius {
        address: String,
        port: u16,
        secret: String,
    },
    /// `auth = eap-tls`: the gateway's certificate and key (the same as for IKE) serve
    /// TLS too; client certificates must chain to the gateway's `ca` and name the EAP
    /// identity (libtls: `no trusted certificate found for '<id>' to verify TLS peer`
    /// otherwise). TLS versions: [`CharonConf::tls_version_max`]. With
    /// `gateway_eap_only` the gateway authenticates by EAP-TLS alone (`local { auth =
    /// eap-tls }`, RFC 5998): it sends no AUTH of its own, and refuses clients that do not
    /// offer `N(EAP_ONLY_AUTHENTICATION)`.
    Tls { gateway_eap_only: bool },
}

impl Auth {
    /// Plugins this auth needs on top of [`PLUGINS`].
    pub fn extra_plugins(&self) -> Vec<&'static str> {
        match self {
            Auth::Psk(_) | Auth::Cert { .. } => vec![],
            Auth::EapGateway { backend, .. } => match backend {
                EapBackend::MsChapV2 { .. } => vec!["eap-identity", "eap-mschapv2"],
                EapBackend::Radius { .. } => vec!["eap-identity", "eap-radius"],
                EapBackend::Tls { .. } => vec!["eap-identity", "eap-tls"],
            },
            Auth::EapClient { method, .. } => vec!["eap-identity", method.name()],
            Auth::EapTlsClient { .. } => vec!["eap-identity", "eap-tls"],
        }
    }
}

/// One IKEv2 connection for charon. Build with [`CharonConf::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct CharonConf {
    /// Own address (`local_addrs`).
    pub local_addr: String,
    /// Peer address (`remote_addrs` of an initiator; a responder accepts `%any`).
    pub remote_addr: String,
    pub local_id: String,
    pub remote_id: String,
    /// IKE proposals, strongSwan syntax, comma-separated (e.g. `aes256gcm16-prfsha384-ecp384`).
    pub ike_proposals: String,
    /// ESP proposals, strongSwan syntax (e.g. `aes256gcm16`).
    pub esp_proposals: String,
    pub auth: Auth,
    /// IKE `rekey_time` (e.g. `"20s"`); `None` = no automatic rekeying.
    pub ike_rekey_time: Option<String>,
    /// CHILD `rekey_time`; `None` = no automatic rekeying.
    pub child_rekey_time: Option<String>,
    /// IKE `reauth_time` (a responder announces it as AUTH_LIFETIME, RFC
    /// 4478, and deletes the IKE_SA when it runs out); `None` = never.
    pub reauth_time: Option<String>,
    /// Responder: virtual IP pool (default 10.99.10.0/24); `None` = no pool.
    pub pool: Option<String>,
    /// Initiator: `vips` to request (default `0.0.0.0`); `None` = no CP request.
    pub vips: Option<String>,
    /// `local_ts` (responder default 10.99.0.0/24; initiator default: dynamic).
    pub local_ts: Option<String>,
    /// `remote_ts` (initiator default 10.99.0.0/24; responder default: dynamic).
    pub remote_ts: Option<String>,
    pub mobike: bool,
    pub fragmentation: bool,
    /// Force UDP encapsulation (`encap = yes`).
    pub encap: bool,
    /// ike/chd log level 4 instead of 2 (shows keys, for tshark decryption).
    pub verbose: bool,
    /// libtls `charon.tls.version_max` (`"1.2"`, `"1.3"`); `None` = strongSwan's default,
    /// which in 5.9.8 is 1.2 ("until 1.3 is stable for use in EAP"). Note that 5.9.8's
    /// EAP-TLS with TLS 1.3 predates RFC 9190: it derives the MSK with the draft label
    /// `client EAP encryption` and sends no protected success indication (both came in
    /// 5.9.10).
    pub tls_version_max: Option<String>,
    /// `charon.plugins.eap-tls.fragment_size` (largest EAP-TLS packet charon sends;
    /// default 1024).
    pub eap_tls_fragment_size: Option<u32>,
}

impl CharonConf {
    /// A connection with the role defaults filled in by [`Charon::start`]: proposals of
    /// the first [`SUITES`] entry, no automatic rekeying, mobike/fragmentation/encap on.
    pub fn new(
        local_addr: &str,
        remote_addr: &str,
        local_id: &str,
        remote_id: &str,
        auth: Auth,
    ) -> Self {
        CharonConf {
            local_addr: local_addr.into(),
            remote_addr: remote_addr.into(),
            local_id: local_id.into(),
            remote_id: remote_id.into(),
            ike_proposals: SUITES[0].ike.into(),
            esp_proposals: SUITES[0].esp.into(),
            auth,
            ike_rekey_time: None,
            child_rekey_time: None,
            reauth_time: None,
            pool: Some(VIP_POOL.into()),
            vips: Some("0.0.0.0".into()),
            local_ts: None,
            remote_ts: None,
            mobike: true,
            fragmentation: true,
            encap: true,
            verbose: false,
            tls_version_max: None,
            eap_tls_fragment_size: None,
        }
    }

    /// Set IKE and ESP proposals from a suite.
    pub fn with_suite(mut self, s: &Suite) -> Self {
        self.ike_proposals = s.ike.into();
        self.esp_proposals = s.esp.into();
        self
    }
}

/// A cipher suite of the interop matrix: strongSwan proposal strings and how charon
/// logs the selected proposal.
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    /// IKE proposal, strongSwan syntax (also the name tests use for the suite).
    pub ike: &'static str,
    /// ESP proposal, strongSwan syntax.
    pub esp: &'static str,
    /// charon: `selected proposal: <this>` for the IKE SA.
    pub ike_selected: &'static str,
    /// charon: `selected proposal: <this>` for the CHILD SA.
    pub esp_selected: &'static str,
}

/// The interop suites (AEAD + ECP, AEAD + X25519, CBC/HMAC + MODP).
pub const SUITES: [Suite; 3] = [
    Suite {
        ike: "aes256gcm16-prfsha384-ecp384",
        esp: "aes256gcm16",
        ike_selected: "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384",
        esp_selected: "ESP:AES_GCM_16_256/NO_EXT_SEQ",
    },
    Suite {
        ike: "chacha20poly1305-prfsha256-x25519",
        esp: "chacha20poly1305",
        ike_selected: "IKE:CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519",
        esp_selected: "ESP:CHACHA20_POLY1305/NO_EXT_SEQ",
    },
    Suite {
        ike: "aes256-sha256-modp3072",
        esp: "aes256-sha256",
        ike_selected: "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072",
        esp_selected: "ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ",
    },
];

/// Proof-line regexes in charon's log (5.9.8 wording).
pub mod proof {
    /// IKE SA up (either role).
    pub const IKE_ESTABLISHED: &str = r"IKE_SA ibex\[\d+\] established between";
    /// CHILD SA up (either role; also printed for the new SA of a CHILD rekey).
    pub const CHILD_ESTABLISHED: &str = r"CHILD_SA net\{\d+\} established with SPIs";
    /// `selected proposal: <suite>` (argument: `Suite::ike_selected` / `esp_selected`).
    pub fn selected(p: &str) -> String {
        format!(r"selected proposal: {}$", regex::escape(p))
    }
    /// Peer authenticated with the PSK.
    pub fn psk_auth(peer_id: &str) -> String {
        format!(
            r"authentication of '{}' with pre-shared key successful",
            regex::escape(peer_id)
        )
    }
    /// Peer authenticated with an RSA signature (RFC 7427 or classic method 1).
    pub fn rsa_auth(peer_id: &str) -> String {
        format!(
            r"authentication of '{}' with (RSA_EMSA_PKCS1_SHA2_(256|384|512)|RSA_EMSA_PKCS1_SHA1|RSA_EMSA_PSS_SHA2_(256|384|512)|RSA_EMSA_PSS|RSA signature) successful",
            regex::escape(peer_id)
        )
    }
    /// Peer authenticated with an ECDSA signature (RFC 7427 or classic methods 9-11).
    pub fn ecdsa_auth(peer_id: &str) -> String {
        format!(
            r"authentication of '{}' with (ECDSA_WITH_SHA(256|384|512)_DER|ECDSA-(256|384|521) signature) successful",
            regex::escape(peer_id)
        )
    }
    /// IKE SA rekey completed (either role, either side driving it).
    pub const IKE_REKEYED: &str = r"IKE_SA ibex\[\d+\] rekeyed between";
    /// The old CHILD SA is removed after a CHILD rekey (either role).
    pub const CHILD_REKEY_CLOSED: &str = r"closing CHILD_SA net\{\d+\} with SPIs";
    /// charon (initiator) got a virtual IP from the pool.
    pub const VIP_INSTALLED: &str = r"installing new virtual IP 10\.99\.10\.\d+";
    /// charon (responder) handed out a virtual IP.
    pub const VIP_ASSIGNED: &str = r"assigning virtual IP 10\.99\.10\.\d+ to peer";
    /// charon (gateway) received the client's EAP-Identity response.
    pub fn eap_identity(id: &str) -> String {
        format!(r"received EAP identity '{}'", regex::escape(id))
    }
    /// An EAP method (charon's name, e.g. `EAP_MSCHAPV2`, `EAP_GTC`) succeeded, with or
    /// without an MSK (either role).
    pub fn eap_method_succeeded(method: &str, msk: bool) -> String {
        format!(
            r"EAP method {} succeeded, {} established",
            regex::escape(method),
            if msk { "MSK" } else { "no MSK" }
        )
    }
    /// An EAP method failed: gateway `EAP method EAP_MSCHAPV2 failed for peer ...`,
    /// client `EAP_MSCHAPV2 method failed`.
    pub fn eap_method_failed(method: &str) -> String {
        let m = regex::escape(method);
        format!(r"EAP method {m} failed|{m} method failed")
    }
    /// charon's MSCHAPv2 client got the server's failure request with error 691.
    pub const MSCHAPV2_E691: &str = r"EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE";
    /// The peer `peer_id` (its IDi of that round) passed its EAP round (gateway).
    pub fn eap_auth(peer_id: &str) -> String {
        format!(
            r"authentication of '{}' with EAP successful",
            regex::escape(peer_id)
        )
    }
    /// A second authentication round was announced (RFC 4739, either role).
    pub const AUTH_FOLLOWS: &str = r"N\(AUTH_FOLLOWS\)";
    /// charon's eap-radius relayed a challenge from the RADIUS server.
    pub const RADIUS_CHALLENGE: &str = r"received RADIUS Access-Challenge from server";
    /// The RADIUS server accepted `user` (its EAP identity).
    pub fn radius_auth_ok(user: &str) -> String {
        format!(
            r"RADIUS authentication of '{}' successful",
            regex::escape(user)
        )
    }
    /// The RADIUS server rejected the client.
    pub const RADIUS_REJECT: &str = r"received RADIUS Access-Reject from server";
    /// libtls negotiated TLS `version` (`"1.2"`, `"1.3"`) for EAP-TLS (either role);
    /// the suite is the second capture group.
    pub fn tls_negotiated(version: &str) -> String {
        format!(
            r"negotiated TLS {} using suite (\S+)",
            regex::escape(version)
        )
    }
    /// Any TLS version (for asserting that none was negotiated).
    pub const TLS_NEGOTIATED_ANY: &str = r"negotiated TLS \S+ using suite";
    /// The EAP-TLS server received the client's certificate (subject DN).
    pub const TLS_PEER_CERT: &str = r"received TLS peer certificate '";
    /// The EAP-TLS client received the server's certificate (subject DN).
    pub const TLS_SERVER_CERT: &str = r"received TLS server certificate '";
    /// The EAP-TLS server could not verify the client's certificate for `id` (its EAP
    /// identity): untrusted CA, or the certificate does not name `id`.
    pub fn tls_untrusted_peer(id: &str) -> String {
        format!(
            r"no trusted certificate found for '{}' to verify TLS peer",
            regex::escape(id)
        )
    }
    /// libtls sent a fatal alert (name in the capture group, e.g. `certificate unknown`).
    pub const TLS_ALERT_SENT: &str = r"sending fatal TLS alert '([^']+)'";
    /// charon (initiator) accepted a responder without AUTH because the EAP method is
    /// mutual (RFC 5998 EAP-only).
    pub const EAP_ONLY_ALLOWED: &str = r"allow mutual EAP-only authentication";
}

/// Are the EAP plugins `names` (e.g. `eap-mschapv2`) installed? `Err` names the missing
/// ones and the Debian packages that ship them (5.9.8: eap-mschapv2 is in
/// libcharon-extauth-plugins; eap-identity, eap-gtc, eap-radius in libcharon-extra-plugins).
pub fn check_plugins(names: &[&str]) -> Result<(), String> {
    let dir = plugin_dir();
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|p| !dir.join(format!("libstrongswan-{p}.so")).exists())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "strongSwan plugins missing in {}: {} (apt: libcharon-extauth-plugins \
             libcharon-extra-plugins)",
            dir.display(),
            missing.join(" ")
        ))
    }
}

/// One IKE_SA of `swanctl --list-sas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSaInfo {
    pub name: String,
    pub unique_id: u32,
    /// `ESTABLISHED`, `DELETING`, ...
    pub state: String,
    /// Initiator / responder SPI, 16 hex digits.
    pub spi_i: String,
    pub spi_r: String,
    pub children: Vec<ChildSaInfo>,
}

/// One CHILD_SA of `swanctl --list-sas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildSaInfo {
    pub name: String,
    pub unique_id: u32,
    /// `INSTALLED`, `REKEYED`, `DELETED`, ...
    pub state: String,
    /// e.g. `TUNNEL-in-UDP`.
    pub mode: String,
    /// e.g. `ESP:AES_GCM_16-256`.
    pub proposal: String,
    /// Inbound / outbound SPI, 8 hex digits (as charon prints them).
    pub spi_in: String,
    pub spi_out: String,
}

/// Parse the human-readable `swanctl --list-sas` output.
pub fn parse_list_sas(text: &str) -> Vec<IkeSaInfo> {
    let ike_re =
        Regex::new(r"^(\S+): #(\d+), (\w+), IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r").unwrap();
    let child_re = Regex::new(r"^\s+(\S+): #(\d+), reqid \d+, (\w+), ([^,]+), (.*)$").unwrap();
    let spi_re = Regex::new(r"^\s+(in|out)\s+([0-9a-f]{8})").unwrap();
    let mut out: Vec<IkeSaInfo> = Vec::new();
    for line in text.lines() {
        if let Some(c) = ike_re.captures(line) {
            out.push(IkeSaInfo {
                name: c[1].to_string(),
                unique_id: c[2].parse().unwrap_or(0),
                state: c[3].to_string(),
                spi_i: c[4].to_string(),
                spi_r: c[5].to_string(),
                children: Vec::new(),
            });
        } else if let Some(c) = child_re.captures(line) {
            if let Some(ike) = out.last_mut() {
                ike.children.push(ChildSaInfo {
                    name: c[1].to_string(),
                    unique_id: c[2].parse().unwrap_or(0),
                    state: c[3].to_string(),
                    mode: c[4].trim().to_string(),
                    proposal: c[5].trim().to_string(),
                    spi_in: String::new(),
                    spi_out: String::new(),
                });
            }
        } else if let Some(c) = spi_re.captures(line) {
            if let Some(ch) = out.last_mut().and_then(|i| i.children.last_mut()) {
                if &c[1] == "in" {
                    ch.spi_in = c[2].to_string();
                } else {
                    ch.spi_out = c[2].to_string();
                }
            }
        }
    }
    out
}

/// A running charon. `Drop` stops it (SIGTERM, then SIGKILL) and removes its temp dir
/// (kept with `IBEX_E2E_KEEP=1`; on panic the log tail is printed to stderr).
pub struct Charon {
    role: Role,
    ns_name: String,
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    child: Option<Child>,
}

impl std::fmt::Debug for Charon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Charon")
            .field("role", &self.role)
            .field("ns", &self.ns_name)
            .field("dir", &self.root)
            .finish()
    }
}

impl Charon {
    /// Start charon in `ns`, load `conf` and return once it is ready (connection loaded,
    /// listening). Panics with charon's output on failure.
    pub fn start(ns: &Netns, role: Role, conf: &CharonConf) -> Charon {
        Self::try_start(ns, role, conf)
            .unwrap_or_else(|e| panic!("starting charon ({role:?}): {e}"))
    }

    pub fn try_start(ns: &Netns, role: Role, conf: &CharonConf) -> Result<Charon, String> {
        let bin = charon_bin().ok_or("charon binary not found")?;
        let tag = match role {
            Role::Initiator => "charon-i",
            Role::Responder => "charon-r",
        };
        let dir = tempdir(tag).map_err(|e| format!("temp dir: {e}"))?;
        let root = dir.path().to_path_buf();
        let mut me = Charon {
            role,
            ns_name: ns.name().to_string(),
            dir: Some(dir),
            root: root.clone(),
            child: None,
        };
        for sub in ["run", "swanctl/x509", "swanctl/x509ca", "swanctl/private"] {
            fs::create_dir_all(root.join(sub)).map_err(|e| format!("mkdir {sub}: {e}"))?;
        }
        fs::write(me.conf_path(), strongswan_conf(&root, role, conf))
            .map_err(|e| format!("write strongswan.conf: {e}"))?;
        fs::write(me.swanctl_conf_path(), swanctl_conf(&root, role, conf)?)
            .map_err(|e| format!("write swanctl.conf: {e}"))?;

        let script = format!(
            "mount --make-rprivate / && mount --bind '{}' /run && exec '{}'",
            root.join("run").display(),
            bin.display()
        );
        let out = fs::File::create(root.join("charon.stdout")).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let lifetime = proc_lifetime_secs().to_string();
        let child = ns
            .command(&[
                "timeout", "-k", "5", &lifetime, "unshare", "-m", "sh", "-c", &script,
            ])
            .env("STRONGSWAN_CONF", me.conf_path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn charon: {e}"))?;
        me.child = Some(child);

        // ready = VICI socket exists
        let vici = root.join("charon.vici");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !vici.exists() {
            if let Some(st) = me.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!(
                    "charon exited early ({st}):\n{}\n--- log ---\n{}",
                    tail(&root.join("charon.stdout"), 40),
                    tail(&me.log_path(), 40)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "charon: no VICI socket after 15 s\n{}",
                    tail(&me.log_path(), 40)
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let load = me.swanctl(&[
            "--load-all",
            "--noprompt",
            "--file",
            &me.swanctl_conf_path().to_string_lossy(),
        ])?;
        if !load.contains(&format!("loaded connection '{CONN}'")) {
            return Err(format!("swanctl --load-all did not load '{CONN}':\n{load}"));
        }
        Ok(me)
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The instance's directory (configs, log, run/, swanctl/).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    pub fn log_path(&self) -> PathBuf {
        self.root.join("charon.log")
    }

    pub fn conf_path(&self) -> PathBuf {
        self.root.join("strongswan.conf")
    }

    pub fn swanctl_conf_path(&self) -> PathBuf {
        self.root.join("swanctl/swanctl.conf")
    }

    pub fn vici_uri(&self) -> String {
        format!("unix://{}", self.root.join("charon.vici").display())
    }

    /// charon's pid (from its private /run/charon.pid).
    pub fn pid(&self) -> Option<u32> {
        fs::read_to_string(self.root.join("run/charon.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// `swanctl <args[0]> --uri <this instance> <args[1..]>` (bounded by 30 s).
    /// Ok(stdout) on exit 0, Err(stdout+stderr) otherwise.
    pub fn swanctl(&self, args: &[&str]) -> Result<String, String> {
        let (cmd, rest) = args.split_first().ok_or("swanctl: no command")?;
        let uri = self.vici_uri();
        let out = run_timeout(
            Command::new("swanctl")
                .arg(cmd)
                .args(["--uri", &uri])
                .args(rest),
            SWANCTL_TIMEOUT,
        )?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "swanctl {} failed ({}):\n{text}",
                args.join(" "),
                out.status
            ))
        }
    }

    /// `swanctl --initiate --child <child>`: blocks until the CHILD_SA is up (max 20 s).
    pub fn initiate(&self, child: &str) -> Result<String, String> {
        self.swanctl(&["--initiate", "--child", child, "--timeout", "20"])
    }

    /// `swanctl --rekey --ike ibex` (returns once the request is queued).
    pub fn rekey_ike(&self) -> Result<String, String> {
        self.swanctl(&["--rekey", "--ike", CONN])
    }

    /// `swanctl --rekey --child net`.
    pub fn rekey_child(&self) -> Result<String, String> {
        self.swanctl(&["--rekey", "--child", CHILD])
    }

    /// `swanctl --terminate --ike ibex`.
    pub fn terminate_ike(&self) -> Result<String, String> {
        self.swanctl(&["--terminate", "--ike", CONN, "--timeout", "10"])
    }

    /// `swanctl --list-sas` (the error text if that fails).
    pub fn list_sas(&self) -> String {
        self.swanctl(&["--list-sas"]).unwrap_or_else(|e| e)
    }

    /// `--list-sas`, parsed.
    pub fn sas(&self) -> Vec<IkeSaInfo> {
        parse_list_sas(&self.list_sas())
    }

    /// The whole log so far.
    pub fn log(&self) -> String {
        fs::read(self.log_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Number of log lines so far (a mark for [`Charon::wait_log_since`]).
    pub fn log_mark(&self) -> usize {
        self.log().lines().count()
    }

    /// All log lines matching `re`.
    pub fn log_matches(&self, re: &str) -> Vec<String> {
        let re = Regex::new(re).expect("valid regex");
        self.log()
            .lines()
            .filter(|l| re.is_match(l))
            .map(String::from)
            .collect()
    }

    /// Wait (bounded) until a log line matches `re`; returns that line.
    pub fn wait_log(&self, re: &str, timeout: Duration) -> Result<String, String> {
        self.wait_log_since(0, re, timeout)
    }

    /// Like [`Charon::wait_log`], but only lines after line number `mark` count.
    pub fn wait_log_since(
        &self,
        mark: usize,
        re: &str,
        timeout: Duration,
    ) -> Result<String, String> {
        let rx = Regex::new(re).map_err(|e| format!("bad regex {re:?}: {e}"))?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.log().lines().skip(mark).find(|l| rx.is_match(l)) {
                return Ok(l.to_string());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "charon ({:?}) log: no line matching /{re}/ within {timeout:?}; last lines:\n{}",
                    self.role,
                    tail(&self.log_path(), 30)
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Wait until at least `n` lines match `re`; returns them.
    pub fn wait_log_count(
        &self,
        re: &str,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<String>, String> {
        let mut last = Vec::new();
        if crate::wait_until(timeout, Duration::from_millis(25), || {
            last = self.log_matches(re);
            last.len() >= n
        }) {
            Ok(last)
        } else {
            Err(format!(
                "charon ({:?}) log: {} of {n} lines matching /{re}/ within {timeout:?}:\n{}",
                self.role,
                last.len(),
                tail(&self.log_path(), 30)
            ))
        }
    }

    /// Panic unless every regex matches some log line (waiting up to `timeout` each).
    /// Returns the matched lines (proof lines for the report).
    pub fn assert_log(&self, res: &[&str], timeout: Duration) -> Vec<String> {
        res.iter()
            .map(|re| self.wait_log(re, timeout).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    /// Stop charon: SIGTERM, up to 3 s grace, SIGKILL. Idempotent.
    pub fn stop(&mut self) {
        let pid = self.pid();
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(p) = pid {
            signal(p, libc::SIGTERM);
        }
        signal(child.id(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut exited = false;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) && !pid.is_some_and(pid_alive) {
                exited = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !exited {
            if let Some(p) = pid {
                signal(p, libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Charon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- charon ({:?}, netns {}) log tail: {} ----\n{}\n---- end charon log ----",
                self.role,
                self.ns_name,
                self.log_path().display(),
                tail(&self.log_path(), 80)
            );
        }
        self.stop();
        if let Some(d) = self.dir.take() {
            release_tempdir(d);
        }
    }
}

fn strongswan_conf(root: &Path, role: Role, c: &CharonConf) -> String {
    let lvl = if c.verbose { 4 } else { 2 };
    let mut plugins = PLUGINS.to_string();
    for p in c.auth.extra_plugins() {
        plugins += " ";
        plugins += p;
    }
    let plugin_conf = match &c.auth {
        Auth::EapGateway {
            backend:
                EapBackend::Radius {
                    address,
                    port,
                    secret,
                },
            ..
        } => format!(
            r#"		eap-radius {{
			# charon asks for the EAP identity and sends it in the first Access-Request
			eap_start = no
			servers {{
				radius {{
					address = {address}
					auth_port = {port}
					secret = "{}"
				}}
			}}
		}}
"#,
            secret.replace('"', "\\\"")
        ),
        _ => String::new(),
    };
    let mut plugin_conf = plugin_conf;
    if let Some(n) = c.eap_tls_fragment_size {
        plugin_conf += &format!("\t\teap-tls {{\n\t\t\tfragment_size = {n}\n\t\t}}\n");
    }
    // libtls reads `charon.tls.*` (lib->ns)
    let tls_conf = match &c.tls_version_max {
        Some(v) => format!("\ttls {{\n\t\tversion_max = {v}\n\t}}\n"),
        None => String::new(),
    };
    let ident = match role {
        Role::Initiator => "charon-ibx-i",
        Role::Responder => "charon-ibx-r",
    };
    format!(
        r#"# generated by ibex-e2e (tests/src/strongswan.rs)
charon {{
	load_modular = no
	load = {plugins}
	install_virtual_ip = yes
	# fail fast in tests: 3 retransmits, 1 s .. ~2 s
	retransmit_tries = 3
	retransmit_timeout = 1.0
	retransmit_base = 1.4
{tls_conf}	# never touch the host's DNS config (resolve/updown are not loaded anyway)
	filelog {{
		charon {{
			path = {log}
			time_format = %H:%M:%S
			time_add_ms = yes
			ike_name = yes
			append = no
			flush_line = yes
			default = 1
			ike = {lvl}
			chd = {lvl}
			cfg = 2
			enc = 1
			knl = 1
			net = 1
		}}
	}}
	syslog {{
		identifier = {ident}
		daemon {{
			default = -1
		}}
	}}
	plugins {{
		vici {{
			socket = unix://{vici}
		}}
{plugin_conf}	}}
}}
"#,
        log = root.join("charon.log").display(),
        vici = root.join("charon.vici").display(),
    )
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn copy_into(src: &Path, dir: &Path, name: &str) -> Result<(), String> {
    fs::copy(src, dir.join(name))
        .map(|_| ())
        .map_err(|e| format!("copy {} -> {}: {e}", src.display(), dir.display()))
}

fn swanctl_conf(root: &Path, role: Role, c: &CharonConf) -> Result<String, String> {
    let sw = root.join("swanctl");
    let q = |v: &str| format!("\"{}\"", v.replace('"', "\\\""));
    let block = |name: &str, lines: &[String]| {
        let body: String = lines.iter().map(|l| format!("\t\t\t{l}\n")).collect();
        format!("\t\t{name} {{\n{body}\t\t}}\n")
    };
    let eap_secret = |n: usize, id: &str, secret: &str| {
        format!(
            "\teap-{n} {{\n\t\tid = {}\n\t\tsecret = {}\n\t}}\n",
            q(id),
            q(secret)
        )
    };
    let mut secrets = String::new();
    let (local, remote) = match &c.auth {
        Auth::Psk(psk) => {
            secrets = format!(
                "\tike-psk {{\n\t\tid-a = {}\n\t\tid-b = {}\n\t\tsecret = {}\n\t}}\n",
                c.local_id,
                c.remote_id,
                q(psk)
            );
            (
                block(
                    "local",
                    &["auth = psk".into(), format!("id = {}", c.local_id)],
                ),
                block(
                    "remote",
                    &["auth = psk".into(), format!("id = {}", c.remote_id)],
                ),
            )
        }
        Auth::Cert { cert, key, ca } => {
            copy_into(cert, &sw.join("x509"), "own.pem")?;
            copy_into(key, &sw.join("private"), "own.key")?;
            copy_into(ca, &sw.join("x509ca"), "ca.pem")?;
            (
                block(
                    "local",
                    &[
                        "auth = pubkey".into(),
                        format!("id = {}", c.local_id),
                        "certs = own.pem".into(),
                    ],
                ),
                block(
                    "remote",
                    &["auth = pubkey".into(), format!("id = {}", c.remote_id)],
                ),
            )
        }
        Auth::EapGateway {
            cert,
            key,
            ca,
            backend,
            cert_round_first,
        } => {
            copy_into(cert, &sw.join("x509"), "own.pem")?;
            copy_into(key, &sw.join("private"), "own.key")?;
            copy_into(ca, &sw.join("x509ca"), "ca.pem")?;
            let method = match backend {
                EapBackend::MsChapV2 { users } => {
                    for (n, (id, pw)) in users.iter().enumerate() {
                        secrets += &eap_secret(n, id, pw);
                    }
                    "eap-mschapv2"
                }
                EapBackend::Radius { .. } => "eap-radius",
                EapBackend::Tls { .. } => "eap-tls",
            };
            let local_auth = match backend {
                EapBackend::Tls {
                    gateway_eap_only: true,
                } => "eap-tls",
                _ => "pubkey",
            };
            let local = block(
                "local",
                &[
                    format!("auth = {local_auth}"),
                    format!("id = {}", c.local_id),
                    "certs = own.pem".into(),
                ],
            );
            let remote = if *cert_round_first {
                // RFC 4739: a certificate round, then EAP (the second round's IDi is
                // whatever the client sends; the EAP identity is asked for)
                block(
                    "remote",
                    &["auth = pubkey".into(), format!("id = {}", c.remote_id)],
                ) + &block(
                    "remote2",
                    &[format!("auth = {method}"), "eap_id = %any".into()],
                )
            } else {
                block(
                    "remote",
                    &[
                        format!("auth = {method}"),
                        format!("id = {}", c.remote_id),
                        "eap_id = %any".into(),
                    ],
                )
            };
            (local, remote)
        }
        Auth::EapClient {
            ca,
            method,
            eap_id,
            secret,
            cert_round_first,
        } => {
            copy_into(ca, &sw.join("x509ca"), "ca.pem")?;
            secrets += &eap_secret(0, eap_id, secret);
            let local = match cert_round_first {
                Some((cert, key)) => {
                    copy_into(cert, &sw.join("x509"), "own.pem")?;
                    copy_into(key, &sw.join("private"), "own.key")?;
                    block(
                        "local",
                        &[
                            "auth = pubkey".into(),
                            format!("id = {}", c.local_id),
                            "certs = own.pem".into(),
                        ],
                    ) + &block(
                        "local2",
                        &[
                            format!("auth = {}", method.name()),
                            format!("id = {eap_id}"),
                            format!("eap_id = {eap_id}"),
                        ],
                    )
                }
                None => block(
                    "local",
                    &[
                        format!("auth = {}", method.name()),
                        format!("id = {}", c.local_id),
                        format!("eap_id = {eap_id}"),
                    ],
                ),
            };
            (
                local,
                block(
                    "remote",
                    &["auth = pubkey".into(), format!("id = {}", c.remote_id)],
                ),
            )
        }
        Auth::EapTlsClient {
            cert,
            key,
            ca,
            eap_id,
            remote_eap_only,
        } => {
            copy_into(cert, &sw.join("x509"), "own.pem")?;
            copy_into(key, &sw.join("private"), "own.key")?;
            copy_into(ca, &sw.join("x509ca"), "ca.pem")?;
            let remote_auth = if *remote_eap_only {
                "eap-tls"
            } else {
                "pubkey"
            };
            (
                block(
                    "local",
                    &[
                        "auth = eap-tls".into(),
                        format!("id = {}", c.local_id),
                        format!("eap_id = {eap_id}"),
                        "certs = own.pem".into(),
                    ],
                ),
                block(
                    "remote",
                    &[
                        format!("auth = {remote_auth}"),
                        format!("id = {}", c.remote_id),
                    ],
                ),
            )
        }
    };
    let rekey = |t: &Option<String>| t.clone().unwrap_or_else(|| "0s".into());
    let mut conn = String::new();
    conn += "\t\tversion = 2\n";
    conn += &format!("\t\tlocal_addrs = {}\n", c.local_addr);
    match role {
        Role::Initiator => {
            conn += &format!("\t\tremote_addrs = {}\n", c.remote_addr);
            if let Some(v) = &c.vips {
                conn += &format!("\t\tvips = {v}\n");
            }
        }
        Role::Responder => {
            conn += "\t\tremote_addrs = %any\n";
            if c.pool.is_some() {
                conn += "\t\tpools = pool4\n";
            }
        }
    }
    conn += &format!("\t\tproposals = {}\n", c.ike_proposals);
    conn += &format!("\t\tmobike = {}\n", yes(c.mobike));
    conn += &format!("\t\tfragmentation = {}\n", yes(c.fragmentation));
    conn += &format!("\t\tencap = {}\n", yes(c.encap));
    conn += &format!("\t\trekey_time = {}\n", rekey(&c.ike_rekey_time));
    conn += &format!("\t\treauth_time = {}\n", rekey(&c.reauth_time));
    conn += "\t\tsend_certreq = yes\n";
    conn += "\t\tsend_cert = always\n";
    conn += "\t\tunique = never\n";
    conn += &local;
    conn += &remote;
    let (local_ts, remote_ts) = match role {
        Role::Responder => (
            c.local_ts.clone().or_else(|| Some(LAN_NET.to_string())),
            c.remote_ts.clone(),
        ),
        Role::Initiator => (
            c.local_ts.clone(),
            c.remote_ts.clone().or_else(|| Some(LAN_NET.to_string())),
        ),
    };
    let mut child = String::new();
    if let Some(t) = local_ts {
        child += &format!("\t\t\t\tlocal_ts = {t}\n");
    }
    if let Some(t) = remote_ts {
        child += &format!("\t\t\t\tremote_ts = {t}\n");
    }
    child += &format!("\t\t\t\tesp_proposals = {}\n", c.esp_proposals);
    child += "\t\t\t\tmode = tunnel\n";
    child += &format!("\t\t\t\trekey_time = {}\n", rekey(&c.child_rekey_time));
    child += "\t\t\t\tstart_action = none\n";
    child += "\t\t\t\tclose_action = none\n";
    child += "\t\t\t\tdpd_action = clear\n";

    let pools = match (role, &c.pool) {
        (Role::Responder, Some(p)) => format!("pools {{\n\tpool4 {{\n\t\taddrs = {p}\n\t}}\n}}\n"),
        _ => String::new(),
    };
    Ok(format!(
        "# generated by ibex-e2e (tests/src/strongswan.rs), role {role:?}\n\
         connections {{\n\t{CONN} {{\n{conn}\t\tchildren {{\n\t\t\t{CHILD} {{\n{child}\t\t\t}}\n\t\t}}\n\t}}\n}}\n\
         {pools}secrets {{\n{secrets}}}\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_sas() {
        let text = "ibex: #2, ESTABLISHED, IKEv2, b8d8e2d2f6792aba_i b9e94902f8797610_r*
  local  'gw.ibex.test' @ 192.0.2.1[4500]
  remote 'client.ibex.test' @ 192.0.2.2[4500] [10.99.10.1]
  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384
  established 0s ago
  net: #1, reqid 1, DELETED, TUNNEL-in-UDP, ESP:AES_GCM_16-256
    installed 0s ago
    in  fe365998,      0 bytes,     0 packets
    out a4fc133e,      0 bytes,     0 packets
    local  10.99.0.0/24
    remote 10.99.10.1/32
  net: #2, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256
    installed 0s ago
    in  ee5cfb71,      0 bytes,     0 packets
    out cb054f3f,      0 bytes,     0 packets
    local  10.99.0.0/24
    remote 10.99.10.1/32
";
        let sas = parse_list_sas(text);
        assert_eq!(sas.len(), 1);
        assert_eq!(sas[0].unique_id, 2);
        assert_eq!(sas[0].state, "ESTABLISHED");
        assert_eq!(sas[0].spi_r, "b9e94902f8797610");
        assert_eq!(sas[0].children.len(), 2);
        let c = &sas[0].children[1];
        assert_eq!(
            (c.state.as_str(), c.mode.as_str(), c.proposal.as_str()),
            ("INSTALLED", "TUNNEL-in-UDP", "ESP:AES_GCM_16-256")
        );
        assert_eq!(
            (c.spi_in.as_str(), c.spi_out.as_str()),
            ("ee5cfb71", "cb054f3f")
        );
    }

    #[test]
    fn swanctl_conf_has_role_specific_parts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("swanctl")).unwrap();
        let c = CharonConf::new(
            "192.0.2.1",
            "192.0.2.2",
            "gw.ibex.test",
            "client.ibex.test",
            Auth::Psk("x".into()),
        );
        let r = swanctl_conf(dir.path(), Role::Responder, &c).unwrap();
        assert!(
            r.contains("pools = pool4") && r.contains("local_ts = 10.99.0.0/24"),
            "{r}"
        );
        assert!(
            r.contains("addrs = 10.99.10.0/24") && !r.contains("vips"),
            "{r}"
        );
        assert!(
            r.contains("rekey_time = 0s") && r.contains("encap = yes"),
            "{r}"
        );
        let i = swanctl_conf(dir.path(), Role::Initiator, &c).unwrap();
        assert!(
            i.contains("vips = 0.0.0.0") && i.contains("remote_ts = 10.99.0.0/24"),
            "{i}"
        );
        assert!(!i.contains("pools"), "{i}");
        let s = strongswan_conf(dir.path(), Role::Initiator, &c);
        let load = s.lines().find(|l| l.contains("load =")).unwrap();
        assert!(load.find("kernel-libipsec").unwrap() < load.find("kernel-netlink").unwrap());
        assert!(!load.contains("eap-") && !s.contains("eap-radius {"), "{s}");
    }

    #[test]
    fn swanctl_conf_eap_variants() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["swanctl/x509", "swanctl/x509ca", "swanctl/private"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let f = |n: &str| {
            let p = dir.path().join(n);
            std::fs::write(&p, "x").unwrap();
            p
        };
        let (cert, key, ca) = (f("c.pem"), f("k.pem"), f("ca.pem"));
        let gw = |backend, cert_round_first| {
            CharonConf::new(
                "192.0.2.1",
                "192.0.2.2",
                "gw.ibex.test",
                "carol@ibex.test",
                Auth::EapGateway {
                    cert: cert.clone(),
                    key: key.clone(),
                    ca: ca.clone(),
                    backend,
                    cert_round_first,
                },
            )
        };
        let users = EapBackend::MsChapV2 {
            users: vec![("carol".into(), "pw\"1".into())],
        };
        let c = gw(users.clone(), false);
        let r = swanctl_conf(dir.path(), Role::Responder, &c).unwrap();
        assert!(
            r.contains("auth = pubkey\n\t\t\tid = gw.ibex.test\n\t\t\tcerts = own.pem"),
            "{r}"
        );
        assert!(
            r.contains("auth = eap-mschapv2\n\t\t\tid = carol@ibex.test\n\t\t\teap_id = %any"),
            "{r}"
        );
        assert!(
            r.contains("eap-0 {\n\t\tid = \"carol\"\n\t\tsecret = \"pw\\\"1\""),
            "{r}"
        );
        assert!(!r.contains("remote2"), "{r}");
        let s = strongswan_conf(dir.path(), Role::Responder, &c);
        assert!(s.contains("vici eap-identity eap-mschapv2\n"), "{s}");
        let r = swanctl_conf(dir.path(), Role::Responder, &gw(users, true)).unwrap();
        let (r1, r2) = (r.find("remote {").unwrap(), r.find("remote2 {").unwrap());
        assert!(r1 < r2 && r[r1..r2].contains("auth = pubkey"), "{r}");
        assert!(
            r[r2..].contains("auth = eap-mschapv2\n\t\t\teap_id = %any"),
            "{r}"
        );
        let radius = EapBackend::Radius {
            address: "127.0.0.1".into(),
            port: 1812,
            secret: "rs".into(),
        };
        let c = gw(radius, false);
        let r = swanctl_conf(dir.path(), Role::Responder, &c).unwrap();
        assert!(r.contains("auth = eap-radius"), "{r}");
        let s = strongswan_conf(dir.path(), Role::Responder, &c);
        assert!(s.contains("vici eap-identity eap-radius\n"), "{s}");
        assert!(
            s.contains("address = 127.0.0.1")
                && s.contains("secret = \"rs\"")
                && s.contains("eap_start = no"),
            "{s}"
        );
        let client = |cert_round_first| {
            CharonConf::new(
                "192.0.2.2",
                "192.0.2.1",
                "client.ibex.test",
                "gw.ibex.test",
                Auth::EapClient {
                    ca: ca.clone(),
                    method: EapMethod::MsChapV2,
                    eap_id: "carol".into(),
                    secret: "pw".into(),
                    cert_round_first,
                },
            )
        };
        let i = swanctl_conf(dir.path(), Role::Initiator, &client(None)).unwrap();
        assert!(
            i.contains("auth = eap-mschapv2\n\t\t\tid = client.ibex.test\n\t\t\teap_id = carol"),
            "{i}"
        );
        assert!(
            i.contains("remote {\n\t\t\tauth = pubkey\n\t\t\tid = gw.ibex.test"),
            "{i}"
        );
        let i = swanctl_conf(
            dir.path(),
            Role::Initiator,
            &client(Some((cert.clone(), key.clone()))),
        )
        .unwrap();
        assert!(
            i.contains(
                "local {\n\t\t\tauth = pubkey\n\t\t\tid = client.ibex.test\n\t\t\tcerts = own.pem"
            ),
            "{i}"
        );
        assert!(
            i.contains(
                "local2 {\n\t\t\tauth = eap-mschapv2\n\t\t\tid = carol\n\t\t\teap_id = carol"
            ),
            "{i}"
        );
    }

    #[test]
    fn swanctl_conf_eap_tls() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["swanctl/x509", "swanctl/x509ca", "swanctl/private"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let f = |n: &str| {
            let p = dir.path().join(n);
            std::fs::write(&p, "x").unwrap();
            p
        };
        let (cert, key, ca) = (f("c.pem"), f("k.pem"), f("ca.pem"));
        let gw = |gateway_eap_only| {
            CharonConf::new(
                "192.0.2.1",
                "192.0.2.2",
                "gw.ibex.test",
                "client.ibex.test",
                Auth::EapGateway {
                    cert: cert.clone(),
                    key: key.clone(),
                    ca: ca.clone(),
                    backend: EapBackend::Tls { gateway_eap_only },
                    cert_round_first: false,
                },
            )
        };
        let c = gw(false);
        let r = swanctl_conf(dir.path(), Role::Responder, &c).unwrap();
        assert!(
            r.contains(
                "local {\n\t\t\tauth = pubkey\n\t\t\tid = gw.ibex.test\n\t\t\tcerts = own.pem"
            ),
            "{r}"
        );
        assert!(
            r.contains("auth = eap-tls\n\t\t\tid = client.ibex.test\n\t\t\teap_id = %any"),
            "{r}"
        );
        let s = strongswan_conf(dir.path(), Role::Responder, &c);
        assert!(s.contains("vici eap-identity eap-tls\n"), "{s}");
        assert!(
            !s.contains("version_max") && !s.contains("fragment_size"),
            "{s}"
        );
        let r = swanctl_conf(dir.path(), Role::Responder, &gw(true)).unwrap();
        assert!(
            r.contains(
                "local {\n\t\t\tauth = eap-tls\n\t\t\tid = gw.ibex.test\n\t\t\tcerts = own.pem"
            ),
            "{r}"
        );
        let client = |remote_eap_only| {
            let mut c = CharonConf::new(
                "192.0.2.2",
                "192.0.2.1",
                "client.ibex.test",
                "gw.ibex.test",
                Auth::EapTlsClient {
                    cert: cert.clone(),
                    key: key.clone(),
                    ca: ca.clone(),
                    eap_id: "client.ibex.test".into(),
                    remote_eap_only,
                },
            );
            c.tls_version_max = Some("1.3".into());
            c.eap_tls_fragment_size = Some(400);
            c
        };
        let i = swanctl_conf(dir.path(), Role::Initiator, &client(false)).unwrap();
        assert!(
            i.contains("local {\n\t\t\tauth = eap-tls\n\t\t\tid = client.ibex.test\n\t\t\teap_id = client.ibex.test\n\t\t\tcerts = own.pem"),
            "{i}"
        );
        assert!(
            i.contains("remote {\n\t\t\tauth = pubkey\n\t\t\tid = gw.ibex.test"),
            "{i}"
        );
        assert!(!i.contains("eap-0"), "{i}");
        let i = swanctl_conf(dir.path(), Role::Initiator, &client(true)).unwrap();
        assert!(
            i.contains("remote {\n\t\t\tauth = eap-tls\n\t\t\tid = gw.ibex.test"),
            "{i}"
        );
        let s = strongswan_conf(dir.path(), Role::Initiator, &client(true));
        assert!(s.contains("\ttls {\n\t\tversion_max = 1.3\n\t}\n"), "{s}");
        assert!(
            s.contains("eap-tls {\n\t\t\tfragment_size = 400\n\t\t}"),
            "{s}"
        );
        assert!(s.contains("vici eap-identity eap-tls\n"), "{s}");
    }
}
