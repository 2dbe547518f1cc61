//! Twilio: what this crate knows about talking to it. The webhook signature lives here because
//! the listener checks it and the tests and benchmarks produce it.

pub mod signature;
