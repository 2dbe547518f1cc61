//! Twilio at the edge: the REST client, and the webhook signature (the listener checks it; the
//! simulator, tests and benchmarks produce it).

pub mod client;
pub mod signature;
pub mod simulator;
