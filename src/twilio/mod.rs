//! Twilio at the edge: the REST client.

pub mod client;
