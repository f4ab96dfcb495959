//! The stages the tour knows, in lesson order. Each stage has its own file
//! with one `STAGE` constant; adding a stage is one file and one line here.

use harness::Fail;

use crate::lang::Say;
use crate::show::Tour;

mod s01_tcp_single;
mod s02_tcp_loop;
mod s03_tcp_threaded;
mod s04_udp_echo;
mod s05_framing;
mod s06_chat;
mod s07_hardened_chat;

pub struct Stage {
    pub number: u32,
    pub package: &'static str,
    pub title: Say,
    pub binaries: &'static [&'static str],
    pub run: fn(&Tour) -> Result<(), Fail>,
}

pub const STAGES: &[Stage] = &[
    s01_tcp_single::STAGE,
    s02_tcp_loop::STAGE,
    s03_tcp_threaded::STAGE,
    s04_udp_echo::STAGE,
    s05_framing::STAGE,
    s06_chat::STAGE,
    s07_hardened_chat::STAGE,
];
