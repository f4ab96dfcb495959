//! Exercise checks for stage 5, `framing`. Run them rung by rung:
//! `cargo test -p framing step1`, then `step2`, ... then all of them.
//!
//! Each rung needs only the functions of the rungs before it, and its own:
//! step 1 `write_frame` and `read_frame`, step 2 `write_line` and `read_line`,
//! step 3 their errors and limits, step 4 all four through a stream that
//! splits and merges at random. Those call the functions directly, over
//! in-memory readers and writers that misbehave the way a network does. From
//! step 5 on the checks run the real binaries (the server on port 0) and talk
//! to them over loopback, the way a Python client with `struct.pack` would.
//!
//! The limit is checked as the number the lesson promises, 1 MiB = 1,048,576
//! bytes, written out here: never `framing::MAX_SIZE`, which a typo could change.

use std::io::{self, BufRead, BufReader, Cursor, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use framing::{read_frame, read_line, round_trip, write_frame, write_line};
use harness::{Check, Fail, Proc, Server, check, check_eq, connect, read_exactly, read_to_close};

const SERVER: &str = env!("CARGO_BIN_EXE_framing-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_framing-client");

/// 1 MiB: the default limit, as the lesson and `--help` state it.
const MIB: usize = 1_048_576;

// ---------------------------------------------------------------------------
// Helpers: frames built and parsed by hand, as a Python client would, so a
// bug in the library cannot hide a bug in the server.

/// Python: `struct.pack('>I', len(body)) + body`
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// Python: `body + b"\n"`
fn line(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    out.push(b'\n');
    out
}

/// Python: `(n,) = struct.unpack('>I', recv_exactly(4)); body = recv_exactly(n)`
fn read_reply_frame(stream: &mut TcpStream) -> Result<Vec<u8>, Fail> {
    let header = read_exactly(stream, 4)
        .map_err(|e| Fail(format!("waiting for a reply's 4-byte header: {e}")))?;
    let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    check!(
        size <= 2 * MIB,
        "a reply's header {header:02x?} announces {size} bytes, more than any message sent: write the length as 4 bytes, big-endian (u32::to_be_bytes)"
    );
    read_exactly(stream, size).map_err(|e| {
        Fail(format!(
            "the reply's header announced {size} bytes, then: {e}"
        ))
    })
}

fn length_server() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0"])
}

fn line_server() -> Result<Server, Fail> {
    Server::start(SERVER, &["127.0.0.1:0", "--mode", "line"])
}

/// Runs `check` against `server`; a failure also shows what the server
/// printed on stderr, where a panic or a `todo!()` in a client's thread
/// says what happened (the client only sees its connection close).
fn talking_to(server: &Server, check: impl FnOnce() -> Check) -> Check {
    check().map_err(|e| {
        // The line may still be on its way through the pipe: give it a moment.
        let mut err = Vec::new();
        for _ in 0..30 {
            err.extend(server.err_lines_so_far());
            if !err.is_empty() {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        match err.is_empty() {
            true => e,
            false => Fail(format!(
                "{e}\n(the server said on stderr: {})",
                err.join(" | ")
            )),
        }
    })
}

/// Sends `body` as one frame and checks the echo is one frame with the same body.
fn frame_round_trip(stream: &mut TcpStream, body: &[u8]) -> Check {
    stream.write_all(&frame(body))?;
    let got = read_reply_frame(stream)?;
    check!(
        got == body,
        "sent a {}-byte frame, got back a {}-byte frame with other bytes (starting {:?}): the echo must be one frame holding exactly the body read",
        body.len(),
        got.len(),
        String::from_utf8_lossy(&got[..got.len().min(40)])
    );
    Ok(())
}

/// Bytes that look random, the same every run.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = XorShift::new(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Shows the start of some bytes in a hint.
fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(30)]).into_owned()
}

/// Fails unless `got` is the error `kind`; `what` says what was read.
fn expect_kind(got: io::Result<Option<Vec<u8>>>, kind: ErrorKind, what: &str, why: &str) -> Check {
    match got {
        Err(e) if e.kind() == kind => Ok(()),
        Err(e) => Err(Fail(format!(
            "{what}: expected an io::Error of kind {kind:?}, got one of kind {:?} ({e}). {why}",
            e.kind()
        ))),
        Ok(m) => Err(Fail(format!(
            "{what}: expected an io::Error of kind {kind:?}, got Ok({:?}). {why}",
            m.map(|m| show(&m))
        ))),
    }
}

const CUT: &str = "A stream that ends after 0 bytes of a new message is a clean end, Ok(None); one that ends after some of them was cut off: io::Error::new(ErrorKind::UnexpectedEof, ...), so the caller can tell";
const TOO_LARGE: &str = "A message over the limit is io::Error::new(ErrorKind::InvalidData, ...)";

/// A seeded xorshift64 generator: the same seed gives the same numbers, so a
/// failure found with one seed replays exactly.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // xorshift never leaves 0; mix the seed so small seeds differ a lot.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// A writer that behaves like a socket under load: each `write()` takes a
/// random number of bytes (at least 1, at most `most`), and now and then a
/// call is interrupted by a signal (EINTR) and takes none.
struct ChunkyWriter {
    out: Vec<u8>,
    rng: XorShift,
    most: usize,
}

impl ChunkyWriter {
    fn new(seed: u64, most: usize) -> ChunkyWriter {
        ChunkyWriter {
            out: Vec::new(),
            rng: XorShift::new(seed),
            most,
        }
    }
}

impl Write for ChunkyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.rng.chance(40) {
            return Err(io::Error::from(ErrorKind::Interrupted));
        }
        let n = 1 + self.rng.below(buf.len().min(self.most) as u64) as usize;
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader that behaves like a socket: each `read()` returns a random number
/// of bytes, splitting messages and merging the end of one with the start of
/// the next; now and then a call is interrupted (EINTR).
struct ChunkyReader {
    data: Vec<u8>,
    at: usize,
    rng: XorShift,
}

impl Read for ChunkyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.data.len() - self.at;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.rng.chance(40) {
            return Err(io::Error::from(ErrorKind::Interrupted));
        }
        let n = 1 + self.rng.below(left.min(buf.len()).min(1500) as u64) as usize;
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A reader that hands out one byte per `read()`.
struct OneByte(Cursor<Vec<u8>>);

impl Read for OneByte {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end = buf.len().min(1);
        self.0.read(&mut buf[..end])
    }
}

/// A peer that sends `head`, then `fill` bytes for ever. It counts what the
/// reader took, and gives up (an error) past `cap` bytes, so a reader that
/// does not stop fails instead of hanging.
struct Endless {
    head: Vec<u8>,
    fill: Vec<u8>,
    consumed: u64,
    cap: u64,
}

impl Endless {
    fn new(head: &[u8], fill: u8, cap: u64) -> Endless {
        Endless {
            head: head.to_vec(),
            fill: vec![fill; 4096],
            consumed: 0,
            cap,
        }
    }
}

impl BufRead for Endless {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.consumed >= self.cap {
            return Err(io::Error::other(format!(
                "the test's endless peer gave up after {} bytes were read",
                self.consumed
            )));
        }
        let at = self.consumed as usize;
        Ok(match self.head.get(at..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => &self.fill,
        })
    }

    fn consume(&mut self, n: usize) {
        self.consumed += n as u64;
    }
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// A connection that fails: after `head`, every `read()` returns `error`,
/// as a read timeout that keeps expiring would. It counts the failed calls
/// and, after 100 of them, ends the stream (Ok(0)), as a reset socket's next
/// read does, so a reader that retries every error reports something else
/// (a clean or a cut end) instead of hanging the check.
struct Failing {
    head: Cursor<Vec<u8>>,
    error: ErrorKind,
    failures: u32,
    /// Interrupted only once, then the rest of the data.
    once: bool,
    tail: Cursor<Vec<u8>>,
}

impl Failing {
    fn new(head: &[u8], error: ErrorKind) -> Failing {
        Failing {
            head: Cursor::new(head.to_vec()),
            error,
            failures: 0,
            once: false,
            tail: Cursor::new(Vec::new()),
        }
    }

    /// `head`, one `error`, then `tail`: a signal in the middle of a message.
    fn once(head: &[u8], error: ErrorKind, tail: &[u8]) -> Failing {
        Failing {
            once: true,
            tail: Cursor::new(tail.to_vec()),
            ..Failing::new(head, error)
        }
    }
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        if self.once && self.failures > 0 {
            return self.tail.read(buf);
        }
        if self.failures >= 100 {
            return Ok(0);
        }
        self.failures += 1;
        Err(io::Error::from(self.error))
    }
}

impl BufRead for Failing {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // No buffer of its own: hand out what `head` (or `tail`) has left.
        let head_left = self.head.get_ref().len() as u64 > self.head.position();
        if head_left {
            return self.head.fill_buf();
        }
        if self.once && self.failures > 0 {
            return self.tail.fill_buf();
        }
        if self.failures >= 100 {
            return Ok(&[]);
        }
        self.failures += 1;
        Err(io::Error::from(self.error))
    }

    fn consume(&mut self, n: usize) {
        let head_left = self.head.get_ref().len() as u64 > self.head.position();
        if head_left {
            self.head.consume(n);
        } else {
            self.tail.consume(n);
        }
    }
}

/// A writer that remembers how many bytes each `write()` call handed it.
#[derive(Default)]
struct WriteCalls(Vec<usize>);

impl Write for WriteCalls {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.push(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Step 1: the length header: write_frame and read_frame, whole messages.

/// hint: `write_frame` is Python's `struct.pack(">I", len(body)) + body`: the length as a `u32`, big-endian, then the body.
/// hint-zh: `write_frame` 就是 Python 的 `struct.pack(">I", len(body)) + body`：先是 `u32` 类型的长度，大端，然后是消息体。
/// hint: `u32::try_from(body.len())` (refuse a body of 4 GiB or more), then `size.to_be_bytes()`; `read_frame` turns 4 bytes back with `u32::from_be_bytes`.
/// hint-zh: `u32::try_from(body.len())`（拒绝 4 GiB 及以上的消息体），然后 `size.to_be_bytes()`；`read_frame` 再用 `u32::from_be_bytes` 把这 4 个字节变回长度。
#[test]
fn step1_a_frame_is_a_4_byte_big_endian_length_then_the_body() -> Check {
    let mut out = Vec::new();
    write_frame(&mut out, b"hello")?;
    check_eq!(
        out,
        b"\x00\x00\x00\x05hello".to_vec(),
        "write_frame writes the body's length as 4 bytes, most significant first (u32::to_be_bytes, Python's struct.pack('>I', n)), then the body"
    );
    let mut out = Vec::new();
    write_frame(&mut out, &[b'x'; 300])?;
    check_eq!(
        out[..4].to_vec(),
        vec![0, 0, 1, 44],
        "300 is 0x0000012C: big-endian puts 0x01 before 0x2C (to_le_bytes would give 2C 01 00 00)"
    );
    let mut out = Vec::new();
    write_frame(&mut out, b"")?;
    check_eq!(
        out,
        vec![0, 0, 0, 0],
        "an empty message is a header saying 0, and no body"
    );
    let got = read_frame(&mut Cursor::new(b"\x00\x00\x01\x2c".to_vec()), MIB);
    check!(
        matches!(got, Err(ref e) if e.kind() == ErrorKind::UnexpectedEof),
        "the header 00 00 01 2C announces 300 bytes (big-endian: u32::from_be_bytes) and none follow, so read_frame must say the stream was cut; got {got:?}. Read as little-endian it would announce 738,263,040 bytes"
    );
    Ok(())
}

/// hint: `read_frame` reads 4 bytes of header, then exactly that many bytes of body; 0 bytes of header is the clean end, `Ok(None)`.
/// hint-zh: `read_frame` 先读 4 字节的报头，再读正好那么多字节的消息体；报头一个字节都没读到，就是干净的结束，`Ok(None)`。
/// hint: `r.take(4).read_to_end(&mut header)` gets the header however many reads it takes; then `r.take(size).read_to_end(&mut body)`. Refuse only `size > max`.
/// hint-zh: `r.take(4).read_to_end(&mut header)` 不管要读几次，都能拿到完整的报头；然后 `r.take(size).read_to_end(&mut body)`。只拒绝 `size > max`。
#[test]
fn step1_frames_round_trip_empty_small_and_exactly_1_mib() -> Check {
    let big = noise(MIB, 1);
    let mut wire = Vec::new();
    for body in [&b""[..], b"hello", &big] {
        write_frame(&mut wire, body)?;
    }
    let mut r = Cursor::new(wire);
    for (want, what) in [
        (&b""[..], "the empty message"),
        (b"hello", "hello"),
        (
            &big,
            "a message of 1,048,576 bytes with a limit of 1,048,576 (exactly the limit: allowed)",
        ),
    ] {
        let got = read_frame(&mut r, MIB)
            .map_err(|e| Fail(format!("reading {what}: unexpected error: {e}")))?;
        check!(
            got.as_deref() == Some(want),
            "reading {what}: got {} bytes ({:?}), want {} bytes",
            got.as_ref().map_or(0, Vec::len),
            got.as_deref().map(show),
            want.len()
        );
    }
    let end = read_frame(&mut r, MIB);
    check!(
        matches!(end, Ok(None)),
        "after the last message the stream ends cleanly: read_frame must return Ok(None) (Python: recv returned b''), got {end:?}"
    );
    Ok(())
}

/// hint: Build the whole frame in one buffer (`[&size.to_be_bytes()[..], body].concat()`), then one `write_all`.
/// hint-zh: 把整帧放进一个缓冲区（`[&size.to_be_bytes()[..], body].concat()`），然后只调用一次 `write_all`。
#[test]
fn step1_a_frame_goes_out_in_one_write() -> Check {
    // A frame written as two write() calls, header then body, is correct and
    // slow: Nagle's algorithm holds the body until the header is
    // acknowledged, and the peer delays that ACK by up to 40 ms, so every
    // round trip takes 40 ms instead of a few microseconds.
    let mut calls = WriteCalls::default();
    write_frame(&mut calls, b"hello")?;
    check_eq!(
        calls.0,
        vec![9],
        "write_frame(b\"hello\") should hand the socket the whole frame in one write (9 bytes). Two writes in a row, header then body, make every round trip wait for the peer's delayed ACK (Nagle's algorithm, up to 40 ms): build the frame in one buffer, then one write_all"
    );
    Ok(())
}

#[test]
fn step1_a_frame_survives_a_socket_that_takes_a_few_bytes_per_write() -> Check {
    let body = noise(5000, 3);
    let mut w = ChunkyWriter::new(3, 7);
    write_frame(&mut w, &body).map_err(|e| {
        Fail(format!(
            "write_frame through a writer whose write() takes at most 7 bytes, and is now and then interrupted: {e}. Use write_all, which loops and retries ErrorKind::Interrupted"
        ))
    })?;
    check!(
        w.out == frame(&body),
        "write_frame through a writer whose write() takes at most 7 bytes wrote {} of the {} bytes: write() may take only part of the buffer and says how much; write_all loops until all of it is taken",
        w.out.len(),
        body.len() + 4
    );
    Ok(())
}

/// hint: One read is not one message: `take(size)` stops the body exactly where the next frame starts.
/// hint-zh: 一次读不等于一条消息：`take(size)` 让消息体正好停在下一帧开始的地方。
#[test]
fn step1_three_frames_in_one_buffer_are_three_messages() -> Check {
    let mut wire = Vec::new();
    for m in ["one", "two", "three"] {
        write_frame(&mut wire, m.as_bytes())?;
    }
    // Everything arrives in one read, as three quick sends often do.
    let mut r = Cursor::new(wire);
    for want in ["one", "two", "three"] {
        let got = read_frame(&mut r, MIB)?;
        check!(
            got.as_deref() == Some(want.as_bytes()),
            "three frames arrived in one read; the next message should be {want:?}, got {:?}. One read is not one message: read the 4-byte header, then exactly that many bytes (take(size)), and leave the rest for the next call",
            got.as_deref().map(show)
        );
    }
    Ok(())
}

#[test]
fn step1_a_frame_arriving_one_byte_at_a_time_comes_back_whole() -> Check {
    let mut wire = frame(b"hello, world");
    wire.extend_from_slice(&frame(b""));
    let mut r = OneByte(Cursor::new(wire));
    let got = read_frame(&mut r, MIB)?;
    check!(
        got.as_deref() == Some(&b"hello, world"[..]),
        "a frame that arrives one byte per read() must still come back whole; got {:?}. Keep reading until the 4 header bytes, then the whole body, are in",
        got.as_deref().map(show)
    );
    let got = read_frame(&mut r, MIB)?;
    check!(
        got.as_deref() == Some(&b""[..]),
        "then the empty message (a header saying 0); got {got:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 2: the line: write_line and read_line, whole messages.

/// hint: `read_line` is `readline()`: `read_until(b'\n', ...)` on a `BufRead`, then take the `\n` off, and a `\r` right before it.
/// hint-zh: `read_line` 就是 Python 的 `readline()`：在 `BufRead` 上调用 `read_until(b'\n', ...)`，然后去掉 `\n`，以及紧挨在它前面的 `\r`。
/// hint: An empty `line` after `read_until` is the clean end (`Ok(None)`); a line that is only `\n` is an empty message. `write_line` refuses a body holding `\n`.
/// hint-zh: `read_until` 之后 `line` 是空的，就是干净的结束（`Ok(None)`）；只有一个 `\n` 的行是一条空消息。`write_line` 拒绝含有 `\n` 的消息体。
#[test]
fn step2_lines_round_trip_crlf_and_any_bytes() -> Check {
    let mut out = Vec::new();
    write_line(&mut out, b"hello")?;
    check_eq!(
        out,
        b"hello\n".to_vec(),
        "write_line writes the body, then \\n"
    );
    let refused = write_line(&mut Vec::new(), b"two\nlines");
    check!(
        matches!(&refused, Err(e) if e.kind() == ErrorKind::InvalidInput),
        "write_line must refuse a body holding \\n (ErrorKind::InvalidInput): the reader would see two messages; got {refused:?}"
    );
    let big = vec![b'y'; MIB];
    let mut wire = b"hello\nfrom nc\r\n\n\r\nin\rside\n\xff\xfe\x00 not utf-8\n".to_vec();
    wire.extend_from_slice(&line(&big));
    let mut r = Cursor::new(wire);
    for (want, what) in [
        (&b"hello"[..], "a line ending in \\n"),
        (
            b"from nc",
            "a line ending in \\r\\n (nc, telnet, Windows): drop the \\r too",
        ),
        (b"", "an empty line"),
        (b"", "an empty line ending in \\r\\n"),
        (
            b"in\rside",
            "a \\r inside a line is kept; only one right before \\n goes",
        ),
        (
            b"\xff\xfe\x00 not utf-8",
            "a line is bytes up to \\n, UTF-8 or not",
        ),
        (
            &big,
            "a line of 1,048,576 bytes with a limit of 1,048,576 (exactly the limit: allowed)",
        ),
    ] {
        let got = read_line(&mut r, MIB)
            .map_err(|e| Fail(format!("reading {what}: unexpected error: {e}")))?;
        check!(
            got.as_deref() == Some(want),
            "{what}: got {:?}, want {:?}",
            got.as_deref().map(show),
            show(want)
        );
    }
    let end = read_line(&mut r, MIB);
    check!(
        matches!(end, Ok(None)),
        "after the last line the stream ends cleanly: read_line must return Ok(None), got {end:?}"
    );
    Ok(())
}

#[test]
fn step2_a_line_goes_out_in_one_write_even_through_short_writes() -> Check {
    let mut calls = WriteCalls::default();
    write_line(&mut calls, b"hello")?;
    check_eq!(
        calls.0,
        vec![6],
        "write_line(b\"hello\") should hand the socket the whole line in one write (6 bytes): the body and \\n as two writes can wait 40 ms for a delayed ACK (Nagle's algorithm)"
    );
    let body = vec![b'z'; 3000];
    let mut w = ChunkyWriter::new(5, 7);
    write_line(&mut w, &body)?;
    check!(
        w.out == line(&body),
        "write_line through a writer whose write() takes at most 7 bytes wrote {} of the 3001 bytes: use write_all, which loops until all of it is taken",
        w.out.len()
    );
    Ok(())
}

#[test]
fn step2_three_lines_in_one_buffer_are_three_messages() -> Check {
    // A BufReader over the whole buffer: its first fill takes all three.
    let mut r = BufReader::new(Cursor::new(b"one\ntwo\r\nthree\n".to_vec()));
    for want in ["one", "two", "three"] {
        let got = read_line(&mut r, MIB)?;
        check!(
            got.as_deref() == Some(want.as_bytes()),
            "three lines arrived in one read; the next message should be {want:?}, got {:?}. One read is not one message: read up to the \\n (read_until), and leave the rest in the BufReader for the next call",
            got.as_deref().map(show)
        );
    }
    Ok(())
}

#[test]
fn step2_a_line_arriving_one_byte_at_a_time_comes_back_whole() -> Check {
    let wire = b"hello, world\r\n\n".to_vec();
    let mut r = BufReader::with_capacity(1, OneByte(Cursor::new(wire)));
    let got = read_line(&mut r, MIB)?;
    check!(
        got.as_deref() == Some(&b"hello, world"[..]),
        "a line that arrives one byte per read() must still come back whole; got {:?}. Keep reading until \\n",
        got.as_deref().map(show)
    );
    let got = read_line(&mut r, MIB)?;
    check!(
        got.as_deref() == Some(&b""[..]),
        "then the empty line; got {got:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 3: the errors: a cut stream, a failed connection, messages too large.

#[test]
fn step3_a_stream_cut_mid_header_or_mid_body_is_unexpected_eof() -> Check {
    expect_kind(
        read_frame(&mut Cursor::new(vec![0, 0]), MIB),
        ErrorKind::UnexpectedEof,
        "2 bytes of a 4-byte header, then the end",
        CUT,
    )?;
    expect_kind(
        read_frame(&mut Cursor::new(b"\x00\x00\x00\x05he".to_vec()), MIB),
        ErrorKind::UnexpectedEof,
        "a header announcing 5 bytes, 2 of them, then the end",
        CUT,
    )?;
    let mut r = Cursor::new(b"\x00\x00\x00\x02ok\x00\x00\x00".to_vec());
    check!(
        matches!(read_frame(&mut r, MIB), Ok(Some(b)) if b == b"ok"),
        "a whole frame comes first"
    );
    expect_kind(
        read_frame(&mut r, MIB),
        ErrorKind::UnexpectedEof,
        "a whole frame, then 3 bytes of the next header, then the end",
        CUT,
    )?;
    let empty = read_frame(&mut Cursor::new(Vec::new()), MIB);
    check!(
        matches!(empty, Ok(None)),
        "a stream that ends before any byte of a message ended cleanly: Ok(None), got {empty:?}"
    );
    Ok(())
}

#[test]
fn step3_a_stream_cut_mid_line_is_unexpected_eof() -> Check {
    expect_kind(
        read_line(&mut Cursor::new(b"no newline".to_vec()), MIB),
        ErrorKind::UnexpectedEof,
        "bytes without a \\n, then the end",
        CUT,
    )?;
    let mut r = Cursor::new(b"whole\nhalf\r".to_vec());
    check!(
        matches!(read_line(&mut r, MIB), Ok(Some(b)) if b == b"whole"),
        "a whole line comes first"
    );
    expect_kind(
        read_line(&mut r, MIB),
        ErrorKind::UnexpectedEof,
        "a whole line, then `half\\r` and the end",
        CUT,
    )
}

/// hint: Retry a `read` only when it failed with `ErrorKind::Interrupted` (a signal came, nothing was read); return every other error.
/// hint-zh: 只有 `read` 以 `ErrorKind::Interrupted` 失败时（来了一个信号，什么都没读到）才重试；其他所有错误都返回。
/// hint: `read_to_end` and `read_until` already do exactly this: use them rather than a loop of your own.
/// hint-zh: `read_to_end` 和 `read_until` 本来就是这么做的：直接用它们，别自己写循环。
#[test]
fn step3_a_failed_read_is_returned_and_only_an_interrupted_one_retried() -> Check {
    // A connection reset in the middle of a header, of a body, of a line:
    // the reader must give that error back, not retry it (retried, a reset
    // passes for an end of stream, and a read timeout never ends the read).
    for (head, what) in [
        (&b"\x00\x00"[..], "a header"),
        (b"\x00\x00\x00\x05he", "a body"),
    ] {
        let mut r = Failing::new(head, ErrorKind::ConnectionReset);
        let got = read_frame(&mut r, MIB);
        check!(
            matches!(&got, Err(e) if e.kind() == ErrorKind::ConnectionReset) && r.failures == 1,
            "read_frame: the connection failed (ConnectionReset) in the middle of {what}; expected that error back after one failed read, got {got:?} after {} failed reads. Retry a read only when it failed with ErrorKind::Interrupted (a signal); any other error is the connection's: return it",
            r.failures
        );
    }
    let mut r = Failing::new(b"half a li", ErrorKind::ConnectionReset);
    let got = read_line(&mut r, MIB);
    check!(
        matches!(&got, Err(e) if e.kind() == ErrorKind::ConnectionReset) && r.failures == 1,
        "read_line: the connection failed (ConnectionReset) in the middle of a line; expected that error back after one failed read, got {got:?} after {} failed reads. Retry only ErrorKind::Interrupted",
        r.failures
    );
    // A signal in the middle of a message is not an error: read again.
    for (at, what) in [(2, "header"), (6, "body")] {
        let mut wire = frame(b"hello");
        let tail = wire.split_off(at);
        let mut r = Failing::once(&wire, ErrorKind::Interrupted, &tail);
        let got = read_frame(&mut r, MIB);
        check!(
            matches!(&got, Ok(Some(b)) if b == b"hello"),
            "read_frame: a read in the middle of a frame's {what} was interrupted by a signal (ErrorKind::Interrupted, EINTR), then the rest came; expected Ok(Some(b\"hello\")), got {got:?}. Interrupted means nothing was read: try again"
        );
    }
    let mut r = Failing::once(b"hel", ErrorKind::Interrupted, b"lo\n");
    let got = read_line(&mut r, MIB);
    check!(
        matches!(&got, Ok(Some(b)) if b == b"hello"),
        "read_line: a read in the middle of a line was interrupted by a signal (EINTR), then the rest came; expected Ok(Some(b\"hello\")), got {got:?}. Interrupted means nothing was read: try again"
    );
    Ok(())
}

#[test]
fn step3_a_header_over_the_limit_is_refused_before_the_body_is_read() -> Check {
    // A header announcing 4 GiB - 1, then bytes for ever.
    let mut peer = Endless::new(&[0xff; 4], b'x', 64 * 1024 * 1024);
    let got = read_frame(&mut peer, MIB);
    expect_kind(
        got,
        ErrorKind::InvalidData,
        "a header announcing 4,294,967,295 bytes, over the limit of 1,048,576",
        TOO_LARGE,
    )?;
    check_eq!(
        peer.consumed,
        4,
        "read_frame must look at the announced size right after the 4-byte header and refuse it before reading (or making room for) any of the body"
    );
    // The limit itself is allowed; one byte more is not.
    let mut wire = frame(&[7; 16]);
    wire.extend_from_slice(&frame(&[8; 17]));
    let mut r = Cursor::new(wire);
    let at_limit = read_frame(&mut r, 16);
    check!(
        matches!(&at_limit, Ok(Some(b)) if b.len() == 16),
        "with a limit of 16, a 16-byte message is allowed (refuse only size > max); got {at_limit:?}"
    );
    expect_kind(
        read_frame(&mut r, 16),
        ErrorKind::InvalidData,
        "with a limit of 16, a 17-byte message",
        TOO_LARGE,
    )
}

/// Run in a child process limited to 2 GiB of address space (see below).
fn big_headers_in_little_memory() -> Check {
    // Over the limit: refused before any room is made for the body.
    let mut peer = Endless::new(&[0xff; 4], b'x', 1024 * 1024);
    expect_kind(
        read_frame(&mut peer, MIB),
        ErrorKind::InvalidData,
        "a 4 GiB header",
        TOO_LARGE,
    )?;
    // Under a (silly) 3.5 GiB limit, 3 GiB announced, 10 bytes sent: memory
    // must follow the 10 bytes, not the 3 GiB promised.
    let mut wire = (3u32 << 30).to_be_bytes().to_vec();
    wire.extend_from_slice(b"0123456789");
    expect_kind(
        read_frame(&mut Cursor::new(wire), 3_758_096_384),
        ErrorKind::UnexpectedEof,
        "a header announcing 3 GiB (under a 3.5 GiB limit), then 10 bytes and the end",
        CUT,
    )
}

/// hint: Compare the announced size with `max` right after the header, before anything else.
/// hint-zh: 读完报头，马上把它宣称的大小和 `max` 比较，在做任何别的事之前。
/// hint: Never `vec![0; size]` or `Vec::with_capacity(size)`: start with `Vec::new()` and let `take(size).read_to_end` grow it as bytes arrive.
/// hint-zh: 千万别 `vec![0; size]` 或 `Vec::with_capacity(size)`：从 `Vec::new()` 开始，由 `take(size).read_to_end` 随着字节的到达让它慢慢增长。
#[test]
fn step3_a_big_header_does_not_make_room_for_a_body_that_never_comes() -> Check {
    if std::env::var_os("FRAMING_LITTLE_MEMORY").is_some() {
        return big_headers_in_little_memory();
    }
    // This test binary runs this check again, in a child process whose
    // address space `ulimit -v` limits to 2 GiB: asking for 3 or 4 GiB there
    // fails for sure, and a failed allocation aborts the process (with plenty
    // of memory it might succeed, and hide the bug).
    let me = std::env::current_exe()?;
    let me = me.to_string_lossy();
    let done = harness::run(
        "sh",
        &[
            "-c",
            r#"ulimit -v 2097152 && FRAMING_LITTLE_MEMORY=1 exec "$0" "$@""#,
            &me,
            "--exact",
            "step3_a_big_header_does_not_make_room_for_a_body_that_never_comes",
            "--test-threads=1",
            "--nocapture",
        ],
        b"",
    )?;
    check!(
        done.code() == Some(0),
        "read_frame on a header announcing 3 or 4 GiB, in a process limited to 2 GiB (ulimit -v), failed or aborted: {:?}. Compare the announced size with the limit before anything else, and never make room for the body up front (no Vec::with_capacity(size), no vec![0; size]): let it grow as bytes arrive (take(size).read_to_end). Its output:\n{}\n{}",
        done.status,
        done.stdout.join("\n"),
        done.stderr_text()
    );
    Ok(())
}

/// hint: Bound the read itself: `r.take(max as u64 + 2).read_until(b'\n', &mut line)`; then compare the length once `\n` or `\r\n` is taken off.
/// hint-zh: 直接限制读取本身：`r.take(max as u64 + 2).read_until(b'\n', &mut line)`；去掉 `\n` 或 `\r\n` 之后，再比较长度。
#[test]
fn step3_a_line_over_the_limit_is_refused_without_reading_it_all() -> Check {
    // A line that never ends: without a bound, read_until reads for ever.
    let mut peer = Endless::new(b"", b'a', 64 * 1024 * 1024);
    let got = read_line(&mut peer, 1000);
    expect_kind(
        got,
        ErrorKind::InvalidData,
        "a line with no end, limit 1000",
        "Bound the read while reading: r.take(max + 2).read_until(b'\\n', ..)",
    )?;
    check!(
        peer.consumed <= 1002,
        "read_line took {} bytes of a line over the limit of 1000 before refusing it: at most 1002 (the limit and \\r\\n) should be read. Checking the length after reading the whole line is too late: a peer can send a 1 GiB line",
        peer.consumed
    );
    let mut wire = Vec::new();
    for (body, end) in [
        (&[b'a'; 16][..], &b"\r\n"[..]),
        (&[b'b'; 17], b"\n"),
        (&[b'c'; 17], b"\r\n"),
    ] {
        wire.extend_from_slice(body);
        wire.extend_from_slice(end);
    }
    let mut r = Cursor::new(wire);
    let at_limit = read_line(&mut r, 16);
    check!(
        matches!(&at_limit, Ok(Some(b)) if b.len() == 16),
        "with a limit of 16, a 16-byte line ending in \\r\\n is allowed (compare the length once the line end is taken off); got {at_limit:?}"
    );
    for end in ["\\n", "\\r\\n"] {
        expect_kind(
            read_line(&mut r, 16),
            ErrorKind::InvalidData,
            &format!("with a limit of 16, a 17-byte line ending in {end}"),
            TOO_LARGE,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 4: thousands of messages through a stream that splits and merges them.

const SEEDS: [u64; 4] = [1, 2, 0x5EED, 20_261_122];
const MESSAGES: usize = 2000;
const FUZZ_MAX: usize = 5000;

/// The seeds to run: FRAMING_SEED=N replays one.
fn seeds() -> Result<Vec<u64>, Fail> {
    match std::env::var("FRAMING_SEED") {
        Ok(s) => {
            Ok(vec![s.trim().parse().map_err(|_| {
                Fail(format!("FRAMING_SEED={s:?} is not a number"))
            })?])
        }
        Err(_) => Ok(SEEDS.to_vec()),
    }
}

/// A random message: mostly short, sometimes long, sometimes exactly at the
/// limit. Lines get any byte but `\n`, and do not end in `\r`.
fn random_message(rng: &mut XorShift, lines: bool) -> Vec<u8> {
    let len = match rng.below(100) {
        0..=79 => rng.below(40) as usize,
        80..=97 => rng.below(FUZZ_MAX as u64) as usize,
        _ => FUZZ_MAX,
    };
    let mut body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    if lines {
        for b in &mut body {
            if *b == b'\n' {
                *b = b'N';
            }
        }
        if body.last() == Some(&b'\r') {
            body.pop();
            body.push(b'R');
        }
    }
    body
}

fn fuzz(seed: u64, lines: bool) -> Check {
    let mode = if lines { "line" } else { "length" };
    let replay = format!(
        "(seed {seed}, {mode} framing; replay it alone: FRAMING_SEED={seed} cargo test -p framing step4)"
    );
    let mut rng = XorShift::new(seed);
    let messages: Vec<Vec<u8>> = (0..MESSAGES)
        .map(|_| random_message(&mut rng, lines))
        .collect();
    let mut w = ChunkyWriter::new(seed ^ 0xAAAA, 700);
    let mut expected = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        // Lines end in \r\n now and then, as nc and telnet send them.
        let written = if lines && rng.chance(5) {
            w.write_all(&[&m[..], b"\r\n"].concat())
        } else if lines {
            expected.extend_from_slice(&line(m));
            write_line(&mut w, m)
        } else {
            expected.extend_from_slice(&frame(m));
            write_frame(&mut w, m)
        };
        written.map_err(|e| {
            Fail(format!(
                "writing message {i} through a writer whose write() takes only some bytes, and is sometimes interrupted: {e} {replay}. Use write_all, which loops (and retries ErrorKind::Interrupted)"
            ))
        })?;
    }
    if !lines {
        check!(
            w.out == expected,
            "the bytes written through short writes differ from the frames {replay}: is every byte of every frame written, in order (write_all)?"
        );
    }
    let reader = ChunkyReader {
        data: w.out,
        at: 0,
        rng: XorShift::new(seed ^ 0x5555),
    };
    let capacity = 1 + rng.below(64) as usize;
    let mut r = BufReader::with_capacity(capacity, reader);
    let next = |r: &mut BufReader<ChunkyReader>| match lines {
        true => read_line(r, FUZZ_MAX),
        false => read_frame(r, FUZZ_MAX),
    };
    for (i, want) in messages.iter().enumerate() {
        let got = next(&mut r).map_err(|e| {
            Fail(format!(
                "message {i} of {MESSAGES} ({} bytes), read through reads of random sizes: {e} {replay}. A read() may return part of a message, or the end of one and the start of the next; one that fails with ErrorKind::Interrupted must be retried",
                want.len()
            ))
        })?;
        check!(
            got.as_ref() == Some(want),
            "message {i} of {MESSAGES}: want {} bytes, got {:?} {replay}. Each call must return exactly one message, whatever the reads' sizes",
            want.len(),
            got.map(|g| g.len())
        );
    }
    let end = next(&mut r);
    check!(
        matches!(end, Ok(None)),
        "after message {MESSAGES}, the stream ends cleanly: expected Ok(None), got {end:?} {replay}"
    );
    Ok(())
}

#[test]
fn step4_thousands_of_frames_split_and_merged_at_random_come_back_in_order() -> Check {
    for seed in seeds()? {
        fuzz(seed, false)?;
    }
    Ok(())
}

#[test]
fn step4_thousands_of_lines_split_and_merged_at_random_come_back_in_order() -> Check {
    for seed in seeds()? {
        fuzz(seed, true)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 5: the server, length mode (the default).

#[test]
fn step5_listens_and_prints_the_address_it_bound() -> Check {
    let server = length_server()?;
    check!(
        server.addr().starts_with("127.0.0.1:"),
        "the server was asked to listen on 127.0.0.1:0 but says {}",
        server.addr()
    );
    connect(server.addr())?;
    Ok(())
}

#[test]
fn step5_echoes_empty_small_and_big_frames() -> Check {
    let server = length_server()?;
    talking_to(&server, || {
        let mut stream = connect(server.addr())?;
        frame_round_trip(&mut stream, b"hello")?;
        frame_round_trip(&mut stream, b"").map_err(|e| {
            Fail(format!(
                "{e}\n(an empty message is a header saying 0: echo it as a header saying 0)"
            ))
        })?;
        frame_round_trip(&mut stream, &noise(300_000, 2))?;
        server.line_containing("sent 0 bytes")?;
        Ok(())
    })
}

/// hint: 1 MiB is `1024 * 1024` = 1,048,576 bytes; a message of exactly that size is allowed, one byte more is not.
/// hint-zh: 1 MiB 是 `1024 * 1024` = 1,048,576 字节；正好这么大的消息是允许的，多一个字节就不行。
#[test]
fn step5_the_default_limit_is_1_mib_exactly() -> Check {
    // What --help and the lesson promise: 1 MiB is 1,048,576 bytes.
    let server = length_server()?;
    let mut stream = connect(server.addr())?;
    frame_round_trip(&mut stream, &noise(1_048_576, 4)).map_err(|e| {
        Fail(format!(
            "{e}\n(a message of exactly 1,048,576 bytes, 1 MiB, is within the default limit: refuse only what is over it)"
        ))
    })?;
    let mut over = connect(server.addr())?;
    over.write_all(&1_048_577u32.to_be_bytes())?;
    let told = read_reply_frame(&mut over)?;
    let told = String::from_utf8_lossy(&told);
    check!(
        told.starts_with("error:") && told.contains("1048577"),
        "a header announcing 1,048,577 bytes, one over the default 1 MiB, gets one frame `error: ...` naming the size; got {told:?}. Is the default limit 1024 * 1024?"
    );
    check_eq!(
        read_to_close(&mut over)?,
        Vec::<u8>::new(),
        "after the error the server closes the connection"
    );
    Ok(())
}

#[test]
fn step5_a_python_client_using_struct_pack_works() -> Check {
    // What the tutorial's framed client does, in Rust:
    //   s.sendall(struct.pack('>I', len(body)) + body)
    //   (n,) = struct.unpack('>I', recv_exactly(s, 4)); reply = recv_exactly(s, n)
    let server = length_server()?;
    talking_to(&server, || {
        let mut s = connect(server.addr())?;
        for body in ["hello", "你好, ünïcode", "q", ""] {
            s.write_all(&frame(body.as_bytes()))?;
            let reply = read_reply_frame(&mut s)?;
            check_eq!(
                String::from_utf8_lossy(&reply),
                body,
                "a Python client's frame gets its body back, framed the same way (`q` is a message like any other)"
            );
        }
        s.shutdown(Shutdown::Write)?;
        check_eq!(
            read_to_close(&mut s)?,
            Vec::<u8>::new(),
            "after the client closes, the server closes too, sending nothing more"
        );
        server.line_containing("closed the connection")?;
        Ok(())
    })
}

/// hint: `converse` keeps one `BufReader` for the whole connection and calls `read_message` in a loop: bytes read past one message belong to the next.
/// hint-zh: `converse` 在整条连接上只用一个 `BufReader`，在循环里调用 `read_message`：多读进来的、超出一条消息的字节，属于下一条消息。
#[test]
fn step5_three_frames_in_one_write_come_back_as_three() -> Check {
    let server = length_server()?;
    talking_to(&server, || {
        let mut stream = connect(server.addr())?;
        let mut three = frame(b"one");
        three.extend_from_slice(&frame(b"two"));
        three.extend_from_slice(&frame(b"three"));
        stream.write_all(&three)?;
        for want in ["one", "two", "three"] {
            let got = read_reply_frame(&mut stream)?;
            check_eq!(
                String::from_utf8_lossy(&got),
                want,
                "three frames sent in one write must come back as three frames: the server must read messages, not reads (one read() brought all three), and keep one BufReader for the whole conversation"
            );
        }
        Ok(())
    })
}

#[test]
fn step5_a_frame_sent_one_byte_at_a_time_comes_back_whole() -> Check {
    let server = length_server()?;
    let mut stream = connect(server.addr())?;
    // Each byte its own TCP segment: no Nagle, and a short pause between
    // them (pacing, not waiting for anything), so the server's reads see
    // the frame in pieces.
    stream.set_nodelay(true)?;
    for byte in frame(b"hello, world") {
        stream.write_all(&[byte])?;
        thread::sleep(Duration::from_millis(2));
    }
    let got = read_reply_frame(&mut stream)?;
    check_eq!(
        String::from_utf8_lossy(&got),
        "hello, world",
        "a frame that arrives in 16 reads of one byte comes back as one frame: keep reading until the header and the whole body are in"
    );
    Ok(())
}

#[test]
fn step5_any_bytes_are_a_body_not_only_utf8() -> Check {
    let server = length_server()?;
    let mut stream = connect(server.addr())?;
    // Every byte value: \n, \r, NUL, terminal escapes, invalid UTF-8.
    let all: Vec<u8> = (0..=255u8).collect();
    frame_round_trip(&mut stream, &all)?;
    frame_round_trip(&mut stream, b"\xff\xfe\n\n\r\n\x00")
}

#[test]
fn step5_a_stream_cut_mid_message_is_logged_as_such() -> Check {
    let server = length_server()?;
    for (cut, says) in [
        (&b"\x00\x00"[..], "2 of the 4 header bytes"),
        (b"\x00\x00\x00\x05he", "2 of the 5 body bytes"),
    ] {
        let mut stream = connect(server.addr())?;
        frame_round_trip(&mut stream, b"whole")?;
        stream.write_all(cut)?;
        stream.shutdown(Shutdown::Write)?;
        let rest = read_to_close(&mut stream)?;
        check_eq!(rest, Vec::<u8>::new(), "a cut message is not echoed");
        // The last log line about a client starts with its address and ": ".
        let logged = server.line_containing(&format!("{}: ", stream.local_addr()?))?;
        check!(
            logged.contains("middle of a message") && logged.contains(says),
            "a client that stops after {says} did not close cleanly between messages: the log should say the stream ended in the middle of a message ({says}); it said {logged:?}"
        );
    }
    let mut next = connect(server.addr())?;
    frame_round_trip(&mut next, b"still serving")
}

/// hint: A message over the limit: write one message `error: ...` with `write_message` (the client's framing), then return, which closes the connection.
/// hint-zh: 超过上限的消息：用 `write_message`（按客户端的分帧方式）写一条 `error: ...` 消息，然后返回，连接随之关闭。
#[test]
fn step5_a_4_gib_header_is_told_and_closed_and_everyone_else_served() -> Check {
    // The server's address space is limited to 2 GiB (`ulimit -v`): a server
    // that trusts the header and allocates 4 GiB aborts, instead of getting
    // lucky with the memory this machine happens to have.
    let server = Server::start(
        "sh",
        &[
            "-c",
            r#"ulimit -v 2097152 && exec "$0" "$@""#,
            SERVER,
            "127.0.0.1:0",
        ],
    )?;
    let mut calm = connect(server.addr())?;
    frame_round_trip(&mut calm, b"before")?;

    let mut hostile = connect(server.addr())?;
    hostile.write_all(&[0xff, 0xff, 0xff, 0xff])?;
    let told = read_reply_frame(&mut hostile).map_err(|e| {
        Fail(format!(
            "{e}\n(a header announcing 4294967295 bytes, over the 1 MiB limit: the server must answer at once with one frame `error: ...` and close, without reading or allocating the body)"
        ))
    })?;
    let told = String::from_utf8_lossy(&told);
    check!(
        told.starts_with("error:") && told.contains("4294967295") && told.contains("1048576"),
        "the client over the limit gets one frame saying `error: ...`, with the size announced and the limit; it got {told:?}"
    );
    check_eq!(
        read_to_close(&mut hostile)?,
        Vec::<u8>::new(),
        "after the error the server closes: the body was never read, so nothing after it could be found"
    );
    server.line_containing("4294967295")?;
    frame_round_trip(&mut calm, b"after").map_err(|e| {
        Fail(format!(
            "{e}\n(a client connected before the 4 GiB header must still be served: did the server abort? A failed allocation aborts the whole process)"
        ))
    })?;
    let mut next = connect(server.addr())?;
    frame_round_trip(&mut next, b"new client")
}

#[test]
fn step5_max_size_allows_the_limit_and_refuses_one_more() -> Check {
    let server = Server::start(SERVER, &["127.0.0.1:0", "--max-size", "16"])?;
    let mut stream = connect(server.addr())?;
    frame_round_trip(&mut stream, &[b'a'; 16])?;
    stream.write_all(&17u32.to_be_bytes())?;
    let told = read_reply_frame(&mut stream)?;
    let told = String::from_utf8_lossy(&told);
    check!(
        told.starts_with("error:") && told.contains("17") && told.contains("16"),
        "--max-size 16: a 17-byte message is refused with an error frame naming the size and the limit; got {told:?}"
    );
    check_eq!(
        read_to_close(&mut stream)?,
        Vec::<u8>::new(),
        "after the error the server closes the connection"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 6: the server, line mode.

#[test]
fn step6_echoes_lines_and_accepts_crlf() -> Check {
    let server = line_server()?;
    talking_to(&server, || {
        let mut stream = connect(server.addr())?;
        for (sent, want, what) in [
            (&b"hello\n"[..], &b"hello\n"[..], "a line"),
            (
                b"from nc\r\n",
                b"from nc\n",
                "a line ending in \\r\\n comes back ending in \\n (the \\r is part of the end, not of the message)",
            ),
            (b"\n", b"\n", "an empty line"),
            (
                b"one\ntwo\r\nthree\n",
                b"one\ntwo\nthree\n",
                "three lines in one write come back as three lines",
            ),
        ] {
            stream.write_all(sent)?;
            let got =
                read_exactly(&mut stream, want.len()).map_err(|e| Fail(format!("{what}: {e}")))?;
            check_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "{what}"
            );
        }
        Ok(())
    })
}

#[test]
fn step6_a_line_sent_one_byte_at_a_time_comes_back_whole() -> Check {
    let server = line_server()?;
    let mut stream = connect(server.addr())?;
    stream.set_nodelay(true)?;
    for byte in b"hello, world\r\n" {
        stream.write_all(&[*byte])?;
        thread::sleep(Duration::from_millis(2));
    }
    let got = read_exactly(&mut stream, 13)?;
    check_eq!(
        String::from_utf8_lossy(&got),
        "hello, world\n",
        "a line that arrives one byte per read comes back as one line: read until \\n"
    );
    Ok(())
}

#[test]
fn step6_lines_are_bytes_not_necessarily_utf8() -> Check {
    let server = line_server()?;
    let mut stream = connect(server.addr())?;
    let mut body: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    body.push(b'!');
    stream.write_all(&line(&body))?;
    let got = read_exactly(&mut stream, body.len() + 1)?;
    check!(
        got == line(&body),
        "in line mode any byte but \\n is part of the line, UTF-8 or not, and is echoed exactly"
    );
    Ok(())
}

#[test]
fn step6_the_default_line_limit_is_1_mib_exactly() -> Check {
    let server = line_server()?;
    let mut stream = connect(server.addr())?;
    let ok = line(&vec![b'm'; 1_048_576]);
    stream.write_all(&ok)?;
    let got = read_exactly(&mut stream, ok.len()).map_err(|e| {
        Fail(format!(
            "{e}\n(a line of exactly 1,048,576 bytes, 1 MiB, is within the default limit and is echoed whole)"
        ))
    })?;
    check!(got == ok, "a 1 MiB line must come back exactly as sent");
    let mut over = connect(server.addr())?;
    over.write_all(&line(&vec![b'm'; 1_048_577]))?;
    let told = read_to_close(&mut over)?;
    let told = String::from_utf8_lossy(&told);
    check!(
        told.starts_with("error:") && told.contains("too long"),
        "a line of 1,048,577 bytes, one over the default 1 MiB, gets one line `error: ... too long ...`, then the connection closes; got {:?}. Is the default limit 1024 * 1024?",
        show(told.as_bytes())
    );
    Ok(())
}

#[test]
fn step6_a_line_over_the_limit_gets_an_error_line_and_others_are_served() -> Check {
    let server = Server::start(
        SERVER,
        &["127.0.0.1:0", "--mode", "line", "--max-size", "16"],
    )?;
    let mut calm = connect(server.addr())?;
    calm.write_all(&line(&[b'a'; 16]))?;
    check_eq!(
        read_exactly(&mut calm, 17)?,
        line(&[b'a'; 16]),
        "--max-size 16: a 16-byte line is allowed"
    );
    let mut long = connect(server.addr())?;
    long.write_all(&line(&[b'b'; 17]))?;
    let told = read_to_close(&mut long)?;
    let told = String::from_utf8_lossy(&told);
    check!(
        told.starts_with("error:") && told.ends_with('\n') && told.lines().count() == 1,
        "--max-size 16: a 17-byte line gets one line `error: ...` back, then the connection closes; got {told:?}"
    );
    calm.write_all(b"still here\n")?;
    check_eq!(
        read_exactly(&mut calm, 11)?,
        b"still here\n".to_vec(),
        "another client goes on being served"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 7: the client.

#[test]
fn step7_the_client_sends_each_line_framed_and_prints_each_reply() -> Check {
    for mode in ["length", "line"] {
        let server = Server::start(SERVER, &["127.0.0.1:0", "--mode", mode])?;
        let done = harness::run(
            CLIENT,
            &[server.addr(), "--mode", mode],
            b"hello\n\n  spaced out  \r\nq\nnever sent\n",
        )?;
        done.expect_code(0, "the client ends normally after `q`")?;
        check_eq!(
            done.stdout,
            vec!["hello".to_string(), "".into(), "spaced out".into()],
            "--mode {mode}: the client prints one reply per line; an empty line is an empty message, and comes back; nothing after q"
        );
        server.line_containing("sent 0 bytes")?;
    }
    Ok(())
}

#[test]
fn step7_the_client_talks_as_you_type() -> Check {
    let server = length_server()?;
    let mut client = Proc::spawn(CLIENT, &[server.addr()])?;
    for word in ["one", "two"] {
        client.send_line(word)?;
        check_eq!(
            client.line()?,
            word,
            "each line typed is answered before the next"
        );
    }
    client.close_stdin();
    client
        .wait()?
        .expect_code(0, "end of input (Ctrl-D) ends the client like q")?;
    Ok(())
}

/// A server that is not ours: it reads one frame, then runs `answer` on the
/// connection. Returns its address.
fn fake_server(answer: fn(&mut TcpStream) -> io::Result<()>) -> Result<String, Fail> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    thread::spawn(move || -> Result<(), Fail> {
        let (mut conn, _) = harness::accept_within(&listener)?;
        let mut header = [0u8; 4];
        conn.read_exact(&mut header)?;
        let mut body = vec![0u8; u32::from_be_bytes(header).min(1 << 20) as usize];
        conn.read_exact(&mut body)?;
        answer(&mut conn)?;
        // Read the client's close, so ours is a FIN and not a reset.
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
        Ok(())
    });
    Ok(addr)
}

/// hint: `round_trip` writes one message and reads one message with `read_message`: no timeout, no guessing from the reply's length.
/// hint-zh: `round_trip` 写一条消息，再用 `read_message` 读一条消息：不设超时，也不靠回复的长度去猜。
#[test]
fn step7_the_client_waits_for_the_whole_reply_however_slowly_it_comes() -> Check {
    // A reply written in three pieces, 300 ms apart: longer than any "quiet
    // for a moment means the reply is over" guess (stage 3 waited 100 ms).
    let addr = fake_server(|conn| {
        let reply = frame(b"a reply typed slowly");
        for piece in [&reply[..2], &reply[2..10], &reply[10..]] {
            conn.write_all(piece)?;
            thread::sleep(Duration::from_millis(300));
        }
        Ok(())
    })?;
    let done = harness::run(CLIENT, &[&addr], b"hello\n")?;
    done.expect_code(0, "the client prints the reply and ends")?;
    check_eq!(
        done.stdout,
        vec!["a reply typed slowly".to_string()],
        "the reply came in three pieces, 300 ms apart: the framing says where it ends, so round_trip reads until the whole frame is in (no timeout, no guess)"
    );
    Ok(())
}

/// hint: Read the reply through the `BufReader` you were given (`read_message(mode, conn, ...)`), never from the stream under it.
/// hint-zh: 通过传给你的那个 `BufReader` 读回复（`read_message(mode, conn, ...)`），绝不要绕过它，直接从它底下的流里读。
#[test]
fn step7_round_trip_returns_one_reply_and_keeps_the_next_for_later() -> Check {
    // Two replies in one write: the first call must return only the first,
    // and the second call find the second in the BufReader.
    let addr = fake_server(|conn| conn.write_all(&[frame(b"one"), frame(b"two")].concat()))?;
    let mut conn = BufReader::new(connect(&addr)?);
    let first = round_trip(&mut conn, framing::Mode::Length, b"hello")?;
    check_eq!(
        String::from_utf8_lossy(&first),
        "one",
        "round_trip returns one reply, even when the next arrived in the same read"
    );
    conn.get_mut()
        .set_read_timeout(Some(Duration::from_secs(1)))?;
    let second = framing::read_message(framing::Mode::Length, &mut conn, MIB);
    check!(
        matches!(&second, Ok(Some(b)) if b == b"two"),
        "the second reply arrived in the same read as the first: it must still be there to read next, in the BufReader; got {second:?}. Read through `conn` (the BufReader), never around it, and only one message's bytes"
    );
    Ok(())
}

#[test]
fn step7_the_client_reports_a_server_that_is_not_there() -> Check {
    let (_closed, addr) = harness::closed_port()?;
    let done = harness::run(CLIENT, &[&addr], b"hello\n")?;
    done.expect_code(1, "connection refused is a run-time error: exit 1")?;
    done.expect_one_error_line()
}

#[test]
fn step7_the_client_reports_a_server_that_closes_mid_reply() -> Check {
    // A fake server: reads the message, answers half a frame, closes.
    let addr = fake_server(|conn| {
        conn.write_all(b"\x00\x00\x00\x09hal")?;
        conn.shutdown(Shutdown::Write)
    })?;
    let done = harness::run(CLIENT, &[&addr], b"hello\n")?;
    done.expect_code(1, "a reply cut short is a run-time error: exit 1")?;
    done.expect_one_error_line()?;
    check!(
        done.stderr_text().contains("middle of a message"),
        "the client's error should say the reply was cut off in the middle of a message; it said {:?}",
        done.stderr_text()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 8: Ctrl-C.

#[test]
fn step8_ctrl_c_while_waiting_for_a_client() -> Check {
    let server = length_server()?;
    let asked = server.ctrl_c()?;
    server.expect_prompt_exit(asked, "served 0")?;
    Ok(())
}

#[test]
fn step8_ctrl_c_with_clients_connected_even_mid_message_closes_them() -> Check {
    let server = length_server()?;
    let mut streams = Vec::new();
    for i in 0..3 {
        let mut stream = connect(server.addr())?;
        frame_round_trip(&mut stream, format!("client {i}").as_bytes())?;
        streams.push(stream);
    }
    // One client is in the middle of a message: its thread waits for the rest.
    streams[2].write_all(b"\x00\x00\x00\x09half")?;
    let asked = server.ctrl_c()?;
    for (i, stream) in streams.iter_mut().enumerate() {
        let rest = read_to_close(stream).map_err(|e| {
            Fail(format!(
                "client {i}: {e}\n(on Ctrl-C the server must close every connected client: kit::Stop::close_on_stop in each thread)"
            ))
        })?;
        check_eq!(rest, Vec::<u8>::new(), "nothing more comes after Ctrl-C");
    }
    server.expect_prompt_exit(asked, "served 3")?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 9: typed replies (--stdin), and the command line.

#[test]
fn step9_with_stdin_each_reply_is_a_typed_line_framed() -> Check {
    for mode in ["length", "line"] {
        let mut server = Server::start(SERVER, &["127.0.0.1:0", "--stdin", "--mode", mode])?;
        let mut client = Proc::spawn(CLIENT, &[server.addr(), "--mode", mode])?;
        client.send_line("hello, anyone there?")?;
        server.send_line("yes")?;
        check_eq!(
            client.line()?,
            "yes",
            "--stdin --mode {mode}: the line typed at the server is the reply, framed, however much shorter than the message"
        );
        let long = "a much longer answer than the question was";
        client.send_line("hi")?;
        server.send_line(long)?;
        check_eq!(
            client.line()?,
            long,
            "--stdin --mode {mode}: a typed reply longer than the message comes out whole"
        );
    }
    Ok(())
}

#[test]
fn step9_help_and_bad_command_lines() -> Check {
    for exe in [SERVER, CLIENT] {
        let help = harness::run(exe, &["--help"], b"")?;
        help.expect_code(0, "--help prints the usage and exits 0")?;
        let text = help.stdout.join("\n");
        check!(
            text.contains("--mode") && text.contains("length") && text.contains("line"),
            "--help explains --mode length|line; it printed:\n{text}"
        );
    }
    for args in [
        &["not-an-address"][..],
        &["--nope"],
        &["127.0.0.1:0", "extra"],
        &["127.0.0.1:0", "--mode", "lines"],
        &["127.0.0.1:0", "--mode"],
        &["127.0.0.1:0", "--max-size", "4294967296"],
        &["127.0.0.1:0", "--max-size", "-1"],
    ] {
        let bad = harness::run(SERVER, args, b"")?;
        bad.expect_code(2, &format!("a bad command line {args:?} exits 2"))?;
    }
    let bad = harness::run(CLIENT, &["--mode", "json"], b"")?;
    bad.expect_code(2, "framing-client --mode json exits 2")?;
    Ok(())
}

#[test]
fn step9_a_port_in_use_is_one_clear_error() -> Check {
    let taken = TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let done = harness::run(SERVER, &[&addr], b"")?;
    done.expect_code(1, "a port in use is a run-time error: exit 1")?;
    done.expect_one_error_line()
}
