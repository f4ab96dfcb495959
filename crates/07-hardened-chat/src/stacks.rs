//! Small thread stacks. The fault: a client costs two threads, and a Rust
//! thread reserves 2 MiB of stack: 4 GiB of address space for 1,000
//! clients, refused long before anything else runs out under `ulimit -v`.
//! A client's threads go no deeper than parsing one message (lesson 07 says
//! how that was measured); a stack too small aborts: loud, never silent.

/// The stack of a client's reader and writer threads.
pub const STACK_SIZE: usize = 64 * 1024;
