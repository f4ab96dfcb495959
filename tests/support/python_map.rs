//! The Python-to-Rust map, as examples that compile and run.
//!
//! One item per call of Python's `socket` module (and `socketserver`), each
//! with a doc example doing the `std` counterpart on `127.0.0.1:0`, with
//! timeouts on every read so no example can hang. `cargo test` runs them
//! (`cargo test --doc -p socket-lessons` runs only these), and
//! `lessons/python-to-rust.md` quotes the part between the hidden
//! `// ANCHOR: NAME` and `// ANCHOR_END: NAME` lines, so the page shows
//! exactly what is run here.
//!
//! The items are unit structs only so that rustdoc has something to hang each
//! example on; they are not meant to be used.

/// `s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)`: no call of its own.
///
/// std never hands out a socket without a job: the call that gives it its
/// address creates it. The address family (IPv4 or IPv6) follows from the
/// address, the type from the Rust type.
///
/// ```
/// use std::net::{TcpListener, TcpStream, UdpSocket};
/// # // ANCHOR: socket
/// let listener = TcpListener::bind("127.0.0.1:0")?; // socket(), bind(), listen()
/// let stream = TcpStream::connect(listener.local_addr()?)?; // socket(), connect()
/// let udp = UdpSocket::bind("127.0.0.1:0")?; // socket(AF_INET, SOCK_DGRAM), bind()
/// # // ANCHOR_END: socket
/// # let _ = (stream, udp);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Socket;

/// `s.bind(("127.0.0.1", 9999))`: `TcpListener::bind` or `UdpSocket::bind`.
///
/// ```
/// use std::net::TcpListener;
/// # // ANCHOR: bind
/// let listener = TcpListener::bind("127.0.0.1:0")?; // port 0: the OS picks one
/// let addr = listener.local_addr()?; // Python: s.getsockname()
/// assert_ne!(addr.port(), 0);
/// # // ANCHOR_END: bind
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Bind;

/// `s.listen(5)`: part of `TcpListener::bind`, which always listens (with a
/// backlog of 128 on Linux).
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// # // ANCHOR: listen
/// let listener = TcpListener::bind("127.0.0.1:0")?; // already listening
/// // Nobody has called accept() yet, yet this connect succeeds: the kernel
/// // completes the handshake and queues the connection in the backlog.
/// let early = TcpStream::connect(listener.local_addr()?)?;
/// let (_conn, peer) = listener.accept()?; // taken out of the queue
/// assert_eq!(peer, early.local_addr()?);
/// # // ANCHOR_END: listen
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Listen;

/// `conn, addr = s.accept()`: `listener.accept()`.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let client = TcpStream::connect(addr)?;
/// # // ANCHOR: accept
/// let (conn, peer) = listener.accept()?; // a NEW socket for this one client
/// assert_eq!(peer, client.local_addr()?); // the client's address and port
/// assert_eq!(conn.local_addr()?, addr); // same local port as the listener
/// # // ANCHOR_END: accept
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Accept;

/// `s.connect(("127.0.0.1", 9999))`: `TcpStream::connect`, or
/// `TcpStream::connect_timeout` to bound the wait.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// # // ANCHOR: connect
/// let stream = TcpStream::connect(addr)?; // returns once the handshake is done
/// let bounded = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
/// # // ANCHOR_END: connect
/// # let _ = (stream, bounded);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Connect;

/// `err = s.connect_ex(addr)`: not in std. `connect` returns an
/// `io::Error`; its `kind()` (or `raw_os_error()`, the errno `connect_ex`
/// returns) says what happened.
///
/// ```
/// use std::io::ErrorKind;
/// use std::net::{TcpListener, TcpStream};
/// # // A port nothing listens on, kept so while these sockets live: our own
/// # // end of a connection (see harness::closed_port).
/// # let listener = TcpListener::bind("127.0.0.1:0")?;
/// # let client = TcpStream::connect(listener.local_addr()?)?;
/// # let _server_end = listener.accept()?;
/// # let closed = client.local_addr()?;
/// # // ANCHOR: connect_ex
/// let open = match TcpStream::connect(closed) {
///     Ok(_) => true,
///     Err(e) if e.kind() == ErrorKind::ConnectionRefused => false, // ECONNREFUSED
///     Err(e) => return Err(e),
/// };
/// assert!(!open);
/// # // ANCHOR_END: connect_ex
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ConnectEx;

/// `data = conn.recv(1024)`: `conn.read(&mut buf)` (the `Read` trait).
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut client = TcpStream::connect(listener.local_addr()?)?;
/// let (mut conn, _) = listener.accept()?;
/// conn.set_read_timeout(Some(Duration::from_secs(5)))?;
/// client.write_all(b"hello")?;
/// # // ANCHOR: recv
/// let mut buf = [0u8; 1024];
/// let n = conn.read(&mut buf)?; // whatever has arrived, 1 to 1024 bytes
/// assert_eq!(&buf[..n], b"hello");
/// drop(client); // the peer closes...
/// assert_eq!(conn.read(&mut buf)?, 0); // ...and read returns 0: end of stream
/// # // ANCHOR_END: recv
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Recv;

/// `n = s.send(data)`: `stream.write(data)`, which may take fewer bytes.
///
/// ```
/// use std::io::Write;
/// use std::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
/// # // ANCHOR: send
/// let data = b"hello";
/// let n = stream.write(data)?; // how many bytes the kernel took: maybe fewer
/// let rest = &data[n..]; // still yours to send
/// # // ANCHOR_END: send
/// # assert!(rest.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Send;

/// `s.sendall(data)`: `stream.write_all(data)`.
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
/// let (mut conn, _) = listener.accept()?;
/// conn.set_read_timeout(Some(Duration::from_secs(5)))?;
/// stream.set_write_timeout(Some(Duration::from_secs(5)))?;
/// # // ANCHOR: sendall
/// let data = vec![b'x'; 100_000];
/// stream.write_all(&data)?; // loops over write() until all of it is taken
/// # // ANCHOR_END: sendall
/// drop(stream);
/// let mut got = Vec::new();
/// conn.read_to_end(&mut got)?;
/// assert_eq!(got.len(), 100_000);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SendAll;

/// `data, addr = s.recvfrom(1024)`: `socket.recv_from(&mut buf)`.
///
/// ```
/// use std::net::UdpSocket;
/// use std::time::Duration;
/// let server = UdpSocket::bind("127.0.0.1:0")?;
/// server.set_read_timeout(Some(Duration::from_secs(5)))?;
/// let client = UdpSocket::bind("127.0.0.1:0")?;
/// client.send_to(b"ping", server.local_addr()?)?;
/// # // ANCHOR: recvfrom
/// let mut buf = [0u8; 1024];
/// let (n, from) = server.recv_from(&mut buf)?; // exactly one datagram
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, client.local_addr()?); // where to send the answer
/// # // ANCHOR_END: recvfrom
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RecvFrom;

/// `s.sendto(data, addr)`: `socket.send_to(data, addr)`.
///
/// ```
/// use std::net::UdpSocket;
/// use std::time::Duration;
/// let server = UdpSocket::bind("127.0.0.1:0")?;
/// let server_addr = server.local_addr()?;
/// # // ANCHOR: sendto
/// let client = UdpSocket::bind("127.0.0.1:0")?; // port 0: any free port
/// client.set_read_timeout(Some(Duration::from_secs(2)))?; // a reply may never come
/// let sent = client.send_to(b"ping", server_addr)?; // one datagram, all or nothing
/// assert_eq!(sent, 4);
/// # // ANCHOR_END: sendto
/// let mut buf = [0u8; 1024];
/// let (n, from) = server.recv_from(&mut buf)?;
/// server.send_to(&buf[..n], from)?;
/// let (n, _) = client.recv_from(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SendTo;

/// `s.close()`: `drop(stream)`, or the end of its scope.
///
/// ```
/// use std::io::Read;
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let client = TcpStream::connect(listener.local_addr()?)?;
/// let (mut conn, _) = listener.accept()?;
/// conn.set_read_timeout(Some(Duration::from_secs(5)))?;
/// # // ANCHOR: close
/// drop(client); // Python: client.close(); the kernel sends FIN
/// let mut buf = [0u8; 1024];
/// assert_eq!(conn.read(&mut buf)?, 0); // the other side reads end of stream
/// # // ANCHOR_END: close
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Close;

/// `s.shutdown(socket.SHUT_WR)`: `stream.shutdown(Shutdown::Write)`.
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::{Shutdown, TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut client = TcpStream::connect(listener.local_addr()?)?;
/// client.set_read_timeout(Some(Duration::from_secs(5)))?;
/// let (mut conn, _) = listener.accept()?;
/// conn.set_read_timeout(Some(Duration::from_secs(5)))?;
/// # // ANCHOR: shutdown
/// client.write_all(b"question")?;
/// client.shutdown(Shutdown::Write)?; // FIN: "I am done sending", still reading
/// let mut question = Vec::new();
/// conn.read_to_end(&mut question)?; // ends at the FIN
/// conn.write_all(b"answer")?; // the half-closed client still receives
/// drop(conn);
/// let mut answer = Vec::new();
/// client.read_to_end(&mut answer)?;
/// assert_eq!(answer, b"answer");
/// # // ANCHOR_END: shutdown
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ShutdownWrite;

/// `s.getpeername()`: `stream.peer_addr()`.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// # // ANCHOR: getpeername
/// let stream = TcpStream::connect(listener.local_addr()?)?;
/// assert_eq!(stream.peer_addr()?, listener.local_addr()?); // the other end
/// # // ANCHOR_END: getpeername
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct GetPeerName;

/// `s.getsockname()`: `local_addr()` on any socket.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// # // ANCHOR: getsockname
/// let addr = listener.local_addr()?; // the port the OS chose for port 0
/// let stream = TcpStream::connect(addr)?;
/// let mine = stream.local_addr()?; // the client's own, ephemeral port
/// assert_ne!(mine.port(), addr.port());
/// # // ANCHOR_END: getsockname
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct GetSockName;

/// `s.setsockopt(...)` / `s.getsockopt(...)`: one typed method per option
/// std supports; there is no generic call.
///
/// ```
/// use std::net::{TcpListener, TcpStream, UdpSocket};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let stream = TcpStream::connect(listener.local_addr()?)?;
/// let udp = UdpSocket::bind("127.0.0.1:0")?;
/// # // ANCHOR: setsockopt
/// stream.set_nodelay(true)?; // setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
/// assert!(stream.nodelay()?); // getsockopt(IPPROTO_TCP, TCP_NODELAY)
/// stream.set_ttl(32)?; // setsockopt(IPPROTO_IP, IP_TTL, 32)
/// udp.set_broadcast(true)?; // setsockopt(SOL_SOCKET, SO_BROADCAST, 1)
/// assert!(stream.take_error()?.is_none()); // getsockopt(SOL_SOCKET, SO_ERROR)
/// # // ANCHOR_END: setsockopt
/// # assert_eq!(stream.ttl()?, 32);
/// # assert!(udp.broadcast()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SetSockOpt;

/// `s.setblocking(False)`: `set_nonblocking(true)`.
///
/// ```
/// use std::io::{ErrorKind, Read};
/// use std::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let _client = TcpStream::connect(listener.local_addr()?)?;
/// let (mut conn, _) = listener.accept()?;
/// let mut buf = [0u8; 1024];
/// # // ANCHOR: setblocking
/// conn.set_nonblocking(true)?;
/// match conn.read(&mut buf) {
///     Err(e) if e.kind() == ErrorKind::WouldBlock => {} // nothing yet: try later
///     Ok(n) => println!("{n} bytes"),
///     Err(e) => return Err(e),
/// }
/// # // ANCHOR_END: setblocking
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SetBlocking;

/// `s.settimeout(2.0)` / `s.gettimeout()`: `set_read_timeout`,
/// `set_write_timeout`, `read_timeout()`; `connect_timeout` for connecting.
///
/// ```
/// use std::io::{ErrorKind, Read};
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let _client = TcpStream::connect(listener.local_addr()?)?;
/// let (mut conn, _) = listener.accept()?;
/// let mut buf = [0u8; 1024];
/// # // ANCHOR: settimeout
/// conn.set_read_timeout(Some(Duration::from_millis(50)))?;
/// let now = conn.read_timeout()?; // Some(52ms) on one Linux: kernel clock ticks
/// assert!(now >= Some(Duration::from_millis(50)));
/// let timed_out = match conn.read(&mut buf) {
///     // Linux reports a timeout as WouldBlock, Windows as TimedOut.
///     Err(e) => matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
///     Ok(_) => false,
/// };
/// assert!(timed_out);
/// # // ANCHOR_END: settimeout
/// # assert!(conn.set_read_timeout(Some(Duration::ZERO)).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SetTimeout;

/// `s.fileno()`: `as_raw_fd()` from `std::os::fd` (Unix).
///
/// ```
/// use std::net::TcpListener;
/// # #[cfg(unix)]
/// # {
/// # // ANCHOR: fileno
/// use std::os::fd::AsRawFd;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let fd = listener.as_raw_fd(); // the number strace and ss show, e.g. 3
/// assert!(fd >= 0);
/// # // ANCHOR_END: fileno
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FileNo;

/// `f = s.makefile("rb")`: `BufReader::new(&stream)` (and `BufWriter`).
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut client = TcpStream::connect(listener.local_addr()?)?;
/// let (conn, _) = listener.accept()?;
/// conn.set_read_timeout(Some(Duration::from_secs(5)))?;
/// client.write_all(b"first line\nsecond line\n")?;
/// # // ANCHOR: makefile
/// let mut reader = BufReader::new(&conn); // Python: f = conn.makefile("rb")
/// let mut line = String::new();
/// reader.read_line(&mut line)?; // f.readline(): up to and with the \n
/// assert_eq!(line, "first line\n");
/// # // ANCHOR_END: makefile
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct MakeFile;

/// `s.dup()`: `stream.try_clone()`, a second handle on the same socket.
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let stream = TcpStream::connect(listener.local_addr()?)?;
/// stream.set_read_timeout(Some(Duration::from_secs(5)))?;
/// let (mut conn, _) = listener.accept()?;
/// # // ANCHOR: dup
/// let mut writer = stream.try_clone()?; // same socket, another handle
/// let mut reader = BufReader::new(stream); // e.g. one per thread
/// writer.write_all(b"hi\n")?;
/// # // ANCHOR_END: dup
/// conn.write_all(b"hello\n")?;
/// let mut line = String::new();
/// reader.read_line(&mut line)?;
/// assert_eq!(line, "hello\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Dup;

/// `a, b = socket.socketpair()`: `UnixStream::pair()` (Unix). Python's
/// default family on Linux is `AF_UNIX` too.
///
/// ```
/// # #[cfg(unix)]
/// # {
/// # // ANCHOR: socketpair
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// let (mut a, mut b) = UnixStream::pair()?; // two connected ends, no address
/// a.write_all(b"ping")?;
/// let mut buf = [0u8; 4];
/// b.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"ping");
/// # // ANCHOR_END: socketpair
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SocketPair;

/// `socket.gethostname()`: not in std. Looking a name up
/// (`gethostbyname`, `getaddrinfo`) is `ToSocketAddrs`.
///
/// ```
/// use std::net::ToSocketAddrs;
/// # // ANCHOR: gethostname
/// // socket.getaddrinfo("localhost", 80): every address the name has
/// let addrs: Vec<_> = ("localhost", 80).to_socket_addrs()?.collect();
/// assert!(addrs.iter().any(|a| a.ip().is_loopback()));
/// // socket.gethostname(): Linux keeps it in a file
/// # #[cfg(target_os = "linux")]
/// let name = std::fs::read_to_string("/proc/sys/kernel/hostname")?;
/// # // ANCHOR_END: gethostname
/// # #[cfg(target_os = "linux")]
/// # assert!(!name.trim().is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct GetHostName;

/// `socket.create_server(addr)` / `socket.create_connection(addr, timeout)`:
/// `TcpListener::bind` / `TcpStream::connect` and `connect_timeout`.
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use std::time::Duration;
/// # // ANCHOR: create_server
/// // create_server: socket, SO_REUSEADDR, bind, listen, all in one
/// let server = TcpListener::bind("127.0.0.1:0")?;
/// let port = server.local_addr()?.port();
/// // create_connection(("localhost", port)): resolve the name and try
/// // each address in turn (::1 may refuse, 127.0.0.1 answers)
/// let stream = TcpStream::connect(("localhost", port))?;
/// // create_connection(addr, timeout=2): the timeout bounds the connect only
/// let bounded = TcpStream::connect_timeout(&server.local_addr()?, Duration::from_secs(2))?;
/// bounded.set_read_timeout(Some(Duration::from_secs(2)))?; // and this the reads
/// # // ANCHOR_END: create_server
/// # let _ = stream;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct CreateServer;

/// `socketserver.TCPServer`, `ThreadingTCPServer`, `UDPServer` and their
/// request handlers: not in std. The loop they hide is a few lines.
///
/// ```
/// use std::io::{self, Read, Write};
/// use std::net::{Shutdown, TcpListener, TcpStream};
/// use std::thread;
/// use std::time::Duration;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut clients = Vec::new();
/// for word in ["one", "two"] {
///     let mut client = TcpStream::connect(listener.local_addr()?)?;
///     client.set_read_timeout(Some(Duration::from_secs(5)))?;
///     client.write_all(word.as_bytes())?;
///     client.shutdown(Shutdown::Write)?;
///     clients.push(client);
/// }
/// # // ANCHOR: socketserver
/// // BaseRequestHandler.handle(): one client's whole conversation, an echo
/// fn handle(mut conn: TcpStream) -> io::Result<()> {
///     conn.set_read_timeout(Some(Duration::from_secs(5)))?;
///     let mut buf = [0u8; 1024];
///     loop {
///         let n = conn.read(&mut buf)?;
///         if n == 0 {
///             return Ok(()); // the client closed
///         }
///         conn.write_all(&buf[..n])?;
///     }
/// }
/// // serve_forever() (cut to two clients here): TCPServer would call
/// // handle(conn) right here, one client at a time; ThreadingTCPServer
/// // gives each client a thread of its own:
/// let mut threads = Vec::new();
/// for conn in listener.incoming().take(2) {
///     let conn = conn?;
///     threads.push(thread::spawn(move || handle(conn)));
/// }
/// # // ANCHOR_END: socketserver
/// for thread in threads {
///     thread.join().expect("handle does not panic")?;
/// }
/// for (client, word) in clients.iter_mut().zip(["one", "two"]) {
///     let mut reply = String::new();
///     client.read_to_string(&mut reply)?;
///     assert_eq!(reply, word);
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct SocketServer;
