//! Proposals: strongSwan-style suite strings, SA payload building and negotiation
//! (RFC 7296 2.7, 3.3).

use crate::crypto::{DhGroup, EncrAlg, IkeSuite, IntegAlg, PrfAlg};
use crate::message::{Proposal, ProtocolId, Transform, TransformType};

/// Why a proposal string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProposalError {
    /// A token names a weak algorithm that Ibex refuses.
    #[error("'{0}' is a weak algorithm and is refused; use aes256gcm16, chacha20poly1305, sha256 or better, ecp256/x25519/modp2048 or stronger")]
    Weak(String),
    /// A token names nothing Ibex knows.
    #[error("unknown algorithm '{0}' in proposal")]
    Unknown(String),
    /// The proposal lacks a required kind of algorithm.
    #[error("proposal '{proposal}' has no {what}")]
    Missing {
        /// The proposal string.
        proposal: String,
        /// The missing kind.
        what: &'static str,
    },
    /// AEAD and integrity algorithms were mixed.
    #[error("proposal '{0}' mixes an AEAD cipher with integrity algorithms; give them as separate proposals")]
    MixedAead(String),
}

/// An IKE proposal: every combination of its algorithms is acceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IkeProposal {
    /// Encryption algorithms, preferred first.
    pub encr: Vec<EncrAlg>,
    /// Integrity algorithms (empty for AEAD ciphers).
    pub integ: Vec<IntegAlg>,
    /// Pseudo-random functions.
    pub prf: Vec<PrfAlg>,
    /// Diffie-Hellman groups.
    pub dh: Vec<DhGroup>,
}

/// An ESP proposal for Child SAs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspProposal {
    /// Encryption algorithms, preferred first.
    pub encr: Vec<EncrAlg>,
    /// Integrity algorithms (empty for AEAD ciphers).
    pub integ: Vec<IntegAlg>,
    /// DH groups for perfect forward secrecy on CREATE_CHILD_SA (empty: none).
    pub dh: Vec<DhGroup>,
    /// Offer extended sequence numbers (RFC 4303) in addition to none.
    pub esn: bool,
}

/// The negotiated algorithms of a Child SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildSuite {
    /// Encryption.
    pub encr: EncrAlg,
    /// Integrity, for non-AEAD ciphers.
    pub integ: Option<IntegAlg>,
    /// PFS group used (rekeys only).
    pub dh: Option<DhGroup>,
    /// Extended sequence numbers.
    pub esn: bool,
}

impl ChildSuite {
    /// strongSwan-style name, e.g. `aes256gcm16` or `aes256-sha256-ecp384`.
    pub fn name(&self) -> String {
        let mut s = self.encr.name().to_string();
        if let Some(i) = self.integ {
            s.push('-');
            s.push_str(i.name());
        }
        if let Some(d) = self.dh {
            s.push('-');
            s.push_str(d.name());
        }
        if self.esn {
            s.push_str("-esn");
        }
        s
    }
}

const WEAK: &[&str] = &[
    "des",
    "3des",
    "des3",
    "md5",
    "sha1",
    "sha",
    "modp768",
    "modp1024",
    "modp1536",
    "md5_128",
    "sha1_160",
    "prfsha1",
    "prfmd5",
    "aesxcbc",
    "prfaesxcbc",
    "null",
    "blowfish",
    "cast128",
    "modp1024s160",
    "modp2048s224",
    "modp2048s256",
    "ecp192",
    "ecp224",
];

enum Token {
    Encr(EncrAlg),
    Integ(IntegAlg),
    Prf(PrfAlg),
    Dh(DhGroup),
    Esn(bool),
}

fn token(t: &str) -> Result<Token, ProposalError> {
    let lower = t.to_ascii_lowercase();
    let tok = match lower.as_str() {
        "aes128" | "aes128cbc" => Token::Encr(EncrAlg::AesCbc128),
        "aes256" | "aes256cbc" => Token::Encr(EncrAlg::AesCbc256),
        "aes128gcm16" | "aes128gcm128" | "aes128gcm" => Token::Encr(EncrAlg::AesGcm16_128),
        "aes256gcm16" | "aes256gcm128" | "aes256gcm" => Token::Encr(EncrAlg::AesGcm16_256),
        "chacha20poly1305" => Token::Encr(EncrAlg::ChaCha20Poly1305),
        "sha256" | "sha2_256" => Token::Integ(IntegAlg::HmacSha256_128),
        "sha384" | "sha2_384" => Token::Integ(IntegAlg::HmacSha384_192),
        "sha512" | "sha2_512" => Token::Integ(IntegAlg::HmacSha512_256),
        "prfsha256" => Token::Prf(PrfAlg::HmacSha256),
        "prfsha384" => Token::Prf(PrfAlg::HmacSha384),
        "prfsha512" => Token::Prf(PrfAlg::HmacSha512),
        "modp2048" => Token::Dh(DhGroup::Modp2048),
        "modp3072" => Token::Dh(DhGroup::Modp3072),
        "ecp256" => Token::Dh(DhGroup::Ecp256),
        "ecp384" => Token::Dh(DhGroup::Ecp384),
        "ecp521" => Token::Dh(DhGroup::Ecp521),
        "x25519" | "curve25519" => Token::Dh(DhGroup::Curve25519),
        "esn" => Token::Esn(true),
        "noesn" => Token::Esn(false),
        w if WEAK.contains(&w) => return Err(ProposalError::Weak(t.to_string())),
        _ => return Err(ProposalError::Unknown(t.to_string())),
    };
    Ok(tok)
}

fn prf_for(integ: IntegAlg) -> PrfAlg {
    match integ {
        IntegAlg::HmacSha256_128 => PrfAlg::HmacSha256,
        IntegAlg::HmacSha384_192 => PrfAlg::HmacSha384,
        IntegAlg::HmacSha512_256 => PrfAlg::HmacSha512,
    }
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

impl IkeProposal {
    /// AES-256-GCM / ChaCha20-Poly1305, PRF-HMAC-SHA2-256/384, X25519 / ECP-256 / ECP-384.
    pub fn default_modern() -> IkeProposal {
        IkeProposal {
            encr: vec![
                EncrAlg::AesGcm16_256,
                EncrAlg::ChaCha20Poly1305,
                EncrAlg::AesGcm16_128,
            ],
            integ: vec![],
            prf: vec![PrfAlg::HmacSha256, PrfAlg::HmacSha384, PrfAlg::HmacSha512],
            dh: vec![DhGroup::Curve25519, DhGroup::Ecp256, DhGroup::Ecp384],
        }
    }

    /// Parses a strongSwan-style string such as `aes256gcm16-prfsha384-ecp384`.
    pub fn parse(s: &str) -> Result<IkeProposal, ProposalError> {
        let mut p = IkeProposal {
            encr: vec![],
            integ: vec![],
            prf: vec![],
            dh: vec![],
        };
        for t in s.split('-').filter(|t| !t.is_empty()) {
            match token(t)? {
                Token::Encr(e) => push(&mut p.encr, e),
                Token::Integ(i) => push(&mut p.integ, i),
                Token::Prf(f) => push(&mut p.prf, f),
                Token::Dh(d) => push(&mut p.dh, d),
                Token::Esn(_) => return Err(ProposalError::Unknown(t.to_string())),
            }
        }
        let missing = |what| ProposalError::Missing {
            proposal: s.to_string(),
            what,
        };
        if p.encr.is_empty() {
            return Err(missing("encryption algorithm"));
        }
        let aead = p.encr.iter().any(|e| e.is_aead());
        if aead && (!p.integ.is_empty() || p.encr.iter().any(|e| !e.is_aead())) {
            return Err(ProposalError::MixedAead(s.to_string()));
        }
        if !aead && p.integ.is_empty() {
            return Err(missing("integrity algorithm"));
        }
        if p.prf.is_empty() {
            if aead {
                return Err(missing("PRF (add e.g. prfsha256)"));
            }
            let integ = p.integ.clone();
            for i in integ {
                push(&mut p.prf, prf_for(i));
            }
        }
        if p.dh.is_empty() {
            return Err(missing("Diffie-Hellman group"));
        }
        Ok(p)
    }

    /// The SA payload proposal (number `num`, `spi` empty in IKE_SA_INIT).
    pub fn to_proposal(&self, num: u8, spi: Vec<u8>) -> Proposal {
        let mut transforms = Vec::new();
        for e in &self.encr {
            transforms.push(encr_transform(*e));
        }
        for f in &self.prf {
            transforms.push(Transform::new(TransformType::PRF, f.transform_id()));
        }
        for i in &self.integ {
            transforms.push(Transform::new(TransformType::INTEG, i.transform_id()));
        }
        for d in &self.dh {
            transforms.push(Transform::new(TransformType::DH, d.id()));
        }
        Proposal {
            num,
            protocol: ProtocolId::IKE,
            spi,
            transforms,
        }
    }
}

impl EspProposal {
    /// AES-256-GCM, ChaCha20-Poly1305, AES-128-GCM; no PFS, no ESN.
    pub fn default_modern() -> EspProposal {
        EspProposal {
            encr: vec![
                EncrAlg::AesGcm16_256,
                EncrAlg::ChaCha20Poly1305,
                EncrAlg::AesGcm16_128,
            ],
            integ: vec![],
            dh: vec![],
            esn: false,
        }
    }

    /// Parses a strongSwan-style ESP string such as `aes256gcm16` or `aes256-sha256-ecp384`.
    pub fn parse(s: &str) -> Result<EspProposal, ProposalError> {
        let mut p = EspProposal {
            encr: vec![],
            integ: vec![],
            dh: vec![],
            esn: false,
        };
        for t in s.split('-').filter(|t| !t.is_empty()) {
            match token(t)? {
                Token::Encr(e) => push(&mut p.encr, e),
                Token::Integ(i) => push(&mut p.integ, i),
                Token::Dh(d) => push(&mut p.dh, d),
                Token::Esn(e) => p.esn = e,
                Token::Prf(_) => return Err(ProposalError::Unknown(t.to_string())),
            }
        }
        if p.encr.is_empty() {
            return Err(ProposalError::Missing {
                proposal: s.to_string(),
                what: "encryption algorithm",
            });
        }
        let aead = p.encr.iter().any(|e| e.is_aead());
        if aead && (!p.integ.is_empty() || p.encr.iter().any(|e| !e.is_aead())) {
            return Err(ProposalError::MixedAead(s.to_string()));
        }
        if !aead && p.integ.is_empty() {
            return Err(ProposalError::Missing {
                proposal: s.to_string(),
                what: "integrity algorithm",
            });
        }
        Ok(p)
    }

    /// The SA payload proposal; `pfs` adds the DH transforms (CREATE_CHILD_SA only).
    pub fn to_proposal(&self, num: u8, spi: u32, pfs: bool) -> Proposal {
        let mut transforms = Vec::new();
        for e in &self.encr {
            transforms.push(encr_transform(*e));
        }
        for i in &self.integ {
            transforms.push(Transform::new(TransformType::INTEG, i.transform_id()));
        }
        if pfs {
            for d in &self.dh {
                transforms.push(Transform::new(TransformType::DH, d.id()));
            }
        }
        if self.esn {
            transforms.push(Transform::new(TransformType::ESN, 1));
        }
        transforms.push(Transform::new(TransformType::ESN, 0));
        Proposal {
            num,
            protocol: ProtocolId::ESP,
            spi: spi.to_be_bytes().to_vec(),
            transforms,
        }
    }
}

fn encr_transform(e: EncrAlg) -> Transform {
    match e.key_bits() {
        Some(bits) => Transform::with_key_length(TransformType::ENCR, e.transform_id(), bits),
        None => Transform::new(TransformType::ENCR, e.transform_id()),
    }
}

/// Reads a transform we understand; `None` for unknown IDs or attributes (RFC 7296 3.3.6).
enum Known {
    Encr(EncrAlg),
    Prf(PrfAlg),
    Integ(IntegAlg),
    Dh(DhGroup),
    Esn(bool),
}

fn known(t: &Transform) -> Option<Known> {
    let only_key_len = t.attributes.iter().all(|a| a.kind == 14);
    if !only_key_len {
        return None;
    }
    Some(match t.kind {
        TransformType::ENCR => Known::Encr(EncrAlg::from_transform(t.id, t.key_length())?),
        TransformType::PRF if t.attributes.is_empty() => Known::Prf(PrfAlg::from_transform(t.id)?),
        TransformType::INTEG if t.attributes.is_empty() => {
            Known::Integ(IntegAlg::from_transform(t.id)?)
        }
        TransformType::DH if t.attributes.is_empty() => Known::Dh(DhGroup::from_id(t.id)?),
        TransformType::ESN if t.attributes.is_empty() && t.id <= 1 => Known::Esn(t.id == 1),
        _ => return None,
    })
}

/// What a peer's proposal offers, per transform type, in the peer's order.
#[derive(Default)]
struct Offer {
    encr: Vec<EncrAlg>,
    prf: Vec<PrfAlg>,
    integ: Vec<IntegAlg>,
    dh: Vec<DhGroup>,
    esn: Vec<bool>,
    /// The proposal carried a transform type we do not know at all: refuse it.
    unknown_type: bool,
    /// The proposal offered "no DH" (transform ID 0) as an option.
    dh_none: bool,
}

fn offer(p: &Proposal) -> Offer {
    let mut o = Offer::default();
    for t in &p.transforms {
        match known(t) {
            Some(Known::Encr(e)) => o.encr.push(e),
            Some(Known::Prf(f)) => o.prf.push(f),
            Some(Known::Integ(i)) => o.integ.push(i),
            Some(Known::Dh(d)) => o.dh.push(d),
            Some(Known::Esn(e)) => o.esn.push(e),
            None => match t.kind {
                TransformType::DH if t.id == 0 => o.dh_none = true,
                TransformType::ENCR
                | TransformType::PRF
                | TransformType::INTEG
                | TransformType::DH
                | TransformType::ESN => {}
                _ => o.unknown_type = true,
            },
        }
    }
    o
}

fn pick<T: Copy + PartialEq>(ours: &[T], theirs: &[T], prefer: Option<T>) -> Option<T> {
    if let Some(p) = prefer {
        if ours.contains(&p) && theirs.contains(&p) {
            return Some(p);
        }
    }
    ours.iter().copied().find(|x| theirs.contains(x))
}

/// Responder: choose an IKE suite by our preference among the peer's proposals,
/// preferring `ke_group` (the group of the peer's KE payload) when acceptable.
/// Returns the suite and the proposal to send back.
pub fn select_ike(
    ours: &[IkeProposal],
    theirs: &[Proposal],
    ke_group: Option<DhGroup>,
    spi: Vec<u8>,
) -> Option<(IkeSuite, Proposal)> {
    for mine in ours {
        for p in theirs.iter().filter(|p| p.protocol == ProtocolId::IKE) {
            let o = offer(p);
            if o.unknown_type {
                continue;
            }
            let Some(encr) = pick(&mine.encr, &o.encr, None) else {
                continue;
            };
            let Some(prf) = pick(&mine.prf, &o.prf, None) else {
                continue;
            };
            let integ = if encr.is_aead() {
                None
            } else {
                match pick(&mine.integ, &o.integ, None) {
                    Some(i) => Some(i),
                    None => continue,
                }
            };
            let Some(dh) = pick(&mine.dh, &o.dh, ke_group) else {
                continue;
            };
            let suite = IkeSuite {
                encr,
                prf,
                integ,
                dh,
            };
            let reply = suite_proposal(p.num, spi, &suite);
            return Some((suite, reply));
        }
    }
    None
}

/// The single-transform proposal describing `suite`.
pub fn suite_proposal(num: u8, spi: Vec<u8>, suite: &IkeSuite) -> Proposal {
    let mut transforms = vec![encr_transform(suite.encr)];
    transforms.push(Transform::new(TransformType::PRF, suite.prf.transform_id()));
    if let Some(i) = suite.integ {
        transforms.push(Transform::new(TransformType::INTEG, i.transform_id()));
    }
    transforms.push(Transform::new(TransformType::DH, suite.dh.id()));
    Proposal {
        num,
        protocol: ProtocolId::IKE,
        spi,
        transforms,
    }
}

/// Initiator: check the responder's choice is one proposal with exactly one of
/// each transform, all of which we offered.
pub fn accept_ike(ours: &[IkeProposal], chosen: &[Proposal]) -> Option<(IkeSuite, Vec<u8>)> {
    let [p] = chosen else { return None };
    if p.protocol != ProtocolId::IKE {
        return None;
    }
    let o = offer(p);
    if o.unknown_type || o.encr.len() != 1 || o.prf.len() != 1 || o.dh.len() != 1 {
        return None;
    }
    let (encr, prf, dh) = (o.encr[0], o.prf[0], o.dh[0]);
    let integ = match (encr.is_aead(), o.integ.as_slice()) {
        (true, []) => None,
        (false, [i]) => Some(*i),
        _ => return None,
    };
    let ok = ours.iter().any(|m| {
        m.encr.contains(&encr)
            && m.prf.contains(&prf)
            && m.dh.contains(&dh)
            && integ.is_none_or(|i| m.integ.contains(&i))
    });
    ok.then_some((
        IkeSuite {
            encr,
            prf,
            integ,
            dh,
        },
        p.spi.clone(),
    ))
}

/// Responder: choose an ESP suite; `pfs_group` is the peer's KE group on
/// CREATE_CHILD_SA (None in IKE_AUTH, where no DH is done).
pub fn select_esp(
    ours: &[EspProposal],
    theirs: &[Proposal],
    pfs_group: Option<DhGroup>,
    in_ike_auth: bool,
) -> Option<(ChildSuite, u32, Proposal)> {
    for mine in ours {
        for p in theirs.iter().filter(|p| p.protocol == ProtocolId::ESP) {
            let Ok(spi) = <[u8; 4]>::try_from(p.spi.as_slice()) else {
                continue;
            };
            let o = offer(p);
            if o.unknown_type {
                continue;
            }
            let Some(encr) = pick(&mine.encr, &o.encr, None) else {
                continue;
            };
            let integ = if encr.is_aead() {
                None
            } else {
                match pick(&mine.integ, &o.integ, None) {
                    Some(i) => Some(i),
                    None => continue,
                }
            };
            let dh = if in_ike_auth {
                None
            } else if mine.dh.is_empty() {
                if !o.dh.is_empty() && !o.dh_none {
                    continue;
                }
                None
            } else {
                match pick(&mine.dh, &o.dh, pfs_group) {
                    Some(d) => Some(d),
                    None => continue,
                }
            };
            let esn_ok: &[bool] = if mine.esn { &[true, false] } else { &[false] };
            let theirs_esn: Vec<bool> = if o.esn.is_empty() {
                vec![false]
            } else {
                o.esn.clone()
            };
            let Some(esn) = pick(esn_ok, &theirs_esn, None) else {
                continue;
            };
            let suite = ChildSuite {
                encr,
                integ,
                dh,
                esn,
            };
            return Some((
                suite,
                u32::from_be_bytes(spi),
                child_proposal(p.num, 0, &suite),
            ));
        }
    }
    None
}

/// The single-transform ESP proposal describing `suite` with our inbound `spi`.
pub fn child_proposal(num: u8, spi: u32, suite: &ChildSuite) -> Proposal {
    let mut transforms = vec![encr_transform(suite.encr)];
    if let Some(i) = suite.integ {
        transforms.push(Transform::new(TransformType::INTEG, i.transform_id()));
    }
    if let Some(d) = suite.dh {
        transforms.push(Transform::new(TransformType::DH, d.id()));
    }
    transforms.push(Transform::new(TransformType::ESN, suite.esn as u16));
    Proposal {
        num,
        protocol: ProtocolId::ESP,
        spi: spi.to_be_bytes().to_vec(),
        transforms,
    }
}

/// Initiator: validate the responder's ESP choice; returns the suite and the
/// responder's inbound SPI.
pub fn accept_esp(
    ours: &[EspProposal],
    chosen: &[Proposal],
    pfs: bool,
) -> Option<(ChildSuite, u32)> {
    let [p] = chosen else { return None };
    if p.protocol != ProtocolId::ESP {
        return None;
    }
    let spi = u32::from_be_bytes(<[u8; 4]>::try_from(p.spi.as_slice()).ok()?);
    let o = offer(p);
    if o.unknown_type || o.encr.len() != 1 || o.dh.len() > 1 || o.esn.len() > 1 {
        return None;
    }
    let encr = o.encr[0];
    let integ = match (encr.is_aead(), o.integ.as_slice()) {
        (true, []) => None,
        (false, [i]) => Some(*i),
        _ => return None,
    };
    let dh = o.dh.first().copied();
    if dh.is_some() && !pfs {
        return None;
    }
    let esn = o.esn.first().copied().unwrap_or(false);
    let ok = ours.iter().any(|m| {
        m.encr.contains(&encr)
            && integ.is_none_or(|i| m.integ.contains(&i))
            && dh.is_none_or(|d| m.dh.contains(&d))
            && (!esn || m.esn)
    });
    ok.then_some((
        ChildSuite {
            encr,
            integ,
            dh,
            esn,
        },
        spi,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_required_suites() {
        let p = IkeProposal::parse("aes256gcm16-prfsha384-ecp384").unwrap();
        assert_eq!(p.encr, vec![EncrAlg::AesGcm16_256]);
        assert_eq!(p.prf, vec![PrfAlg::HmacSha384]);
        assert_eq!(p.dh, vec![DhGroup::Ecp384]);
        let p = IkeProposal::parse("aes256-sha256-modp3072").unwrap();
        assert_eq!(p.prf, vec![PrfAlg::HmacSha256]);
        assert_eq!(p.integ, vec![IntegAlg::HmacSha256_128]);
        IkeProposal::parse("chacha20poly1305-prfsha256-x25519").unwrap();
        EspProposal::parse("aes256-sha256").unwrap();
    }

    #[test]
    fn refuses_weak_and_incomplete() {
        for weak in [
            "3des-sha1-modp1024",
            "aes256-md5-modp2048",
            "aes256-sha256-modp1024",
        ] {
            assert!(
                matches!(IkeProposal::parse(weak), Err(ProposalError::Weak(_))),
                "{weak}"
            );
        }
        assert!(matches!(
            IkeProposal::parse("aes256gcm16-x25519"),
            Err(ProposalError::Missing { .. })
        ));
        assert!(matches!(
            IkeProposal::parse("aes256gcm16-sha256-prfsha256-x25519"),
            Err(ProposalError::MixedAead(_))
        ));
        assert!(matches!(
            IkeProposal::parse("rot13-x25519"),
            Err(ProposalError::Unknown(_))
        ));
    }

    #[test]
    fn responder_policy_and_ke_preference() {
        let ini = [IkeProposal::parse("aes128gcm16-aes256gcm16-prfsha256-x25519-ecp256").unwrap()];
        let offered = vec![ini[0].to_proposal(1, vec![])];
        let resp = [IkeProposal::parse("aes256gcm16-prfsha256-ecp256-x25519").unwrap()];
        let (suite, reply) =
            select_ike(&resp, &offered, Some(DhGroup::Curve25519), vec![]).unwrap();
        assert_eq!(suite.encr, EncrAlg::AesGcm16_256);
        assert_eq!(
            suite.dh,
            DhGroup::Curve25519,
            "KE group wins when acceptable"
        );
        let (s2, _) = accept_ike(&ini, &[reply]).unwrap();
        assert_eq!(s2, suite);
        let (suite, _) = select_ike(&resp, &offered, Some(DhGroup::Ecp384), vec![]).unwrap();
        assert_eq!(suite.dh, DhGroup::Ecp256, "our preference otherwise");
        let none = [IkeProposal::parse("aes256-sha512-modp3072").unwrap()];
        assert!(select_ike(&none, &offered, None, vec![]).is_none());
    }

    #[test]
    fn initiator_rejects_unoffered_or_multiple() {
        let ini = [IkeProposal::parse("aes256gcm16-prfsha256-x25519").unwrap()];
        let other = IkeProposal::parse("aes128gcm16-prfsha256-x25519")
            .unwrap()
            .to_proposal(1, vec![]);
        assert!(accept_ike(&ini, &[other]).is_none());
        let multi = IkeProposal::parse("aes256gcm16-prfsha256-x25519-ecp256")
            .unwrap()
            .to_proposal(1, vec![]);
        assert!(accept_ike(&ini, &[multi]).is_none());
    }

    #[test]
    fn esp_negotiation() {
        let ini = [
            EspProposal::parse("aes256-sha256").unwrap(),
            EspProposal::parse("aes128gcm16").unwrap(),
        ];
        let offered: Vec<_> = ini
            .iter()
            .enumerate()
            .map(|(i, p)| p.to_proposal(i as u8 + 1, 0x1111, false))
            .collect();
        let resp = [EspProposal::parse("aes128gcm16").unwrap()];
        let (suite, spi, mut reply) = select_esp(&resp, &offered, None, true).unwrap();
        assert_eq!(spi, 0x1111);
        assert_eq!(suite.encr, EncrAlg::AesGcm16_128);
        reply.spi = 0x2222u32.to_be_bytes().to_vec();
        let (s2, rspi) = accept_esp(&ini, &[reply], false).unwrap();
        assert_eq!((s2, rspi), (suite, 0x2222));
    }
}
