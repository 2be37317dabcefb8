//! [`EspSaPair`]: both directions of a Child SA, built from the IKE engine's
//! [`ChildSaInfo`].

use ibex_ike::ChildSaInfo;

use crate::error::EspError;
use crate::inbound::InboundSa;
use crate::outbound::OutboundSa;
use crate::stats::SaStats;

/// The inbound and outbound ESP SAs of one Child SA.
#[derive(Debug)]
pub struct EspSaPair {
    /// Opens packets sent to our SPI (`ChildSaInfo::spi_in`).
    pub inbound: InboundSa,
    /// Seals packets for the peer's SPI (`ChildSaInfo::spi_out`).
    pub outbound: OutboundSa,
}

impl EspSaPair {
    /// Both SAs from the keys and suite negotiated by `ibex-ike`.
    ///
    /// # Errors
    ///
    /// [`EspError::InvalidSa`] if the keys do not fit the suite.
    pub fn from_child(child: &ChildSaInfo) -> Result<Self, EspError> {
        let s = &child.suite;
        Ok(Self {
            inbound: InboundSa::new(
                child.spi_in,
                s.encr,
                s.integ,
                child.encr_in.expose(),
                child.integ_in.expose(),
                s.esn,
            )?,
            outbound: OutboundSa::new(
                child.spi_out,
                s.encr,
                s.integ,
                child.encr_out.expose(),
                child.integ_out.expose(),
                s.esn,
            )?,
        })
    }

    /// `(inbound, outbound)`.
    pub fn into_parts(self) -> (InboundSa, OutboundSa) {
        (self.inbound, self.outbound)
    }

    /// Counters of both directions.
    pub fn stats(&self) -> SaStats {
        SaStats {
            inbound: self.inbound.stats(),
            outbound: self.outbound.stats(),
        }
    }
}
