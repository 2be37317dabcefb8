//! Routes through the tunnel (Linux, rtnetlink): a [`RoutePlan`] says what to
//! route where, [`RouteManager`] applies it and records every route in the
//! [`Journal`](crate::Journal), [`route_get`] asks the kernel which path a
//! destination takes.

mod lookup;
mod manager;
mod plan;

pub use lookup::{route_get, route_get_avoiding, RouteLookup};
pub use manager::{RouteManager, IBEX_ROUTE_PROTOCOL};
pub use plan::{RoutePlan, Tunnel};
