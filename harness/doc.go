// Package harness owns process life, CPU placement and timing for ipcbench.
// It knows nothing about any specific IPC mechanism: it drives
// transports.Conn values.
//
// # The peer
//
// The peer is a real separate process: the running binary re-executed
// (/proc/self/exe: the test binary under go test, the ipcbench command
// otherwise) with IPCBENCH_ROLE=peer/<protocol version> in its environment.
// TestMain and main hand over to PeerMain when IsPeer reports true, so there
// is exactly one peer code path.
//
// File descriptor 3 of the peer is a SOCK_SEQPACKET control channel (a
// TCP connection for a remote peer, below); the transport's descriptors
// follow at 4, 5, …. Every control message is one JSON packet. The parent sends "attach" with the transport Spec and the
// CPU of its placement; the peer attaches, applies its half of the
// placement and answers "ready" (or an error) within a deadline. Then the parent sends one workload at a
// time (echo, pingpong, stream, or a registered peer function) and the peer
// answers with a report: messages seen, losses, its own CPU time and
// context switches. A parent Conn that carries round trips and a stream
// differently (an RPC: a call per round trip, a streaming call for a
// stream) is told each workload's flow as it begins
// (transports.FlowSetter).
//
// Liveness goes both ways. The peer exits when the control channel reaches
// end of file (the parent died); the child is also started with Pdeathsig
// from a thread that lives as long as the process. The parent notices the
// peer's death as end of file on the control channel, watches for progress
// while a workload runs, kills a peer that makes none for the hang timeout,
// interrupts the transport (transports.Interrupter) so no call stays
// blocked, and always reaps the child. Errors name the transport, the
// workload, the size and the message number (*PeerError, *RunError). A
// peer function (FuncSession) is watched the same way: its parent's loops
// report every op to the same watchdog.
//
// # Fan-in
//
// StartFanIn turns the roles round: N peers, each with a channel of its
// own made as a Session's is (one setup for both), are clients ("client":
// from a start time they all share, ping-pong for a window, every echo
// checked), and the parent is their one server: a goroutine per client
// (api=runtime), epoll over their descriptors on a locked thread
// (api=raw, transports.Pollable), or a wait over every client's ring
// (shared memory, transports.MultiWait). Each client has its own
// watchdog; a failed, dead or hung client ends the run with a *RunError
// naming it, and the others are killed.
//
// # Remote peers
//
// A peer can also run on another host: `ipcbench peer -listen ADDR -token
// T` there calls ServePeers, which accepts TCP control connections and
// starts one peer process per accepted connection, the ipcbench binary
// re-executed as for a local peer (the same command, spawner thread and
// Pdeathsig), with the connection as its fd 3 and IPCBENCH_CTL=stream in
// its environment. On a stream each control message is a frame: a 4-byte
// big-endian length (1 to 1 MiB) and the JSON. The first frame is the
// parent's hello, {"op":"hello","protocol":"peer/1","token":T}, which must
// arrive within 5 s and carry the server's token (compared in constant
// time; at least MinTokenLen bytes, NewToken makes one) and its protocol;
// the server answers {"pid":…} (the peer runs) or {"error":"wrong token"}
// and closes. Then the session is a local one's, with the same requests,
// spec and verification; the transport's Spec carries addresses instead
// of files (a remote peer inherits none). The parent's Peer for it (from
// dialPeer) has no process: PID is 0, Signal fails, Stderr is empty (the
// peer's output is in the server's log), LocalAddr is this host's IP on
// the control connection, and kill closes the connection. ServePeers
// kills a peer whose parent hung up (it may be blocked in a transport
// call), tells the parent the exit status and output of a peer that died
// by itself, serves connections concurrently, logs every session, and
// kills its peers when its listener is closed. A peer starts in the network
// namespace its control connection came in through (SIOCGSKNS), which is
// ServePeers' own unless its listener was made in another.
//
// # Network paths
//
// A socket transport that dials an address (transports.Info.Net: tcp,
// udp) can run over a network path other than loopback (Config.Path,
// key "path" of a benchmark name). PathVeth and PathNetem make two fresh,
// anonymous network namespaces joined by a veth pair (internal/netns),
// the second shaped by tc netem on both ends: the parent's socket is made
// in the first (netns.NS.Do, through transports.NetPath.In), the peer is
// started in the second (the spawner thread enters it for the fork) and
// dials the parent's address from the Spec; the parent accepts only the
// address the peer reports (transports.Connector). The namespaces go with
// the session's descriptors and the peer's exit, so nothing is left even
// after SIGKILL; Session.PathNamespaces names them for leak checks.
// PathRemote dials a remote peer (Config.Remote, below) instead of
// spawning one. CheckPath says, before a session, why a path cannot run
// here (the privileges, the kernel's netem, pin=same across hosts);
// DescribePath gives its config line.
//
// # Warm-up and usage
//
// Every case warms up under one rule before it is measured: its op runs
// unmeasured for the warm-up time, with the clock read at every 16th op,
// and at most MaxWarmupOps ops (Session.Warmup for the workloads,
// FuncSession.Warmup for the floors, baselines and signal experiments).
// ReportUsage reports both processes' CPU time and context switches per
// op: per measured op for a workload, whose warm-up is a run of its own;
// per op since Begin (warm-up and measured) for a peer function, whose
// peer reports its usage once, when the function returns.
//
// # Placement
//
// Pin chooses where the two processes run: PinSplit on different CPUs,
// PinSame on one CPU, PinNone where the scheduler puts them. What a pin
// confines depends on the API, and both scopes are placements a user can
// set:
//
//   - api=runtime: each process as a whole, every thread, as `taskset -c`
//     or a cpuset confines a Go service. The peer is started from a thread
//     bound to its CPU, so its runtime starts under that mask and picks
//     GOMAXPROCS from it; the parent binds every one of its threads for the
//     session (as `taskset -a -p` does) and has the runtime pick GOMAXPROCS
//     again (runtime.SetDefaultGOMAXPROCS, unless the GOMAXPROCS variable
//     set it). The data goroutine of each process is an ordinary goroutine,
//     never locked to a thread.
//   - api=raw and api=zerocopy: the data thread of each process, locked
//     (runtime.LockOSThread) and bound (sched_setaffinity) by the program
//     itself, as a latency-tuned program pins its hot thread; the
//     runtime's other threads (sysmon, GC workers, idle Ms) keep the mask
//     the process started with. This scope measures the mechanism as a
//     single-threaded C program gets it, which make crosscheck compares;
//     confined as a whole, a raw Go process at pin=same would share its
//     one CPU with its runtime's threads as well.
//
// Peer functions (floors, baselines, signal experiments) are placed the
// same way for the API they are started with. A process has one
// process-wide placement at a time: a second session that needs another
// CPU while one is confined fails with an error. The results' config lines
// say which scope each API has (pin-scope) and the GOMAXPROCS each process
// gets at each pin (gomaxprocs-pin-*, measured by starting a peer).
// WriteConfig writes them, a catalogue line for every registered transport
// (Catalogue) and the Unit lines through package results, which owns the
// format; Result.Report names its metrics with the units of results.
//
// # A fixed offered rate
//
// RunRate (rate.go) is the open-loop workload: message i leaves at its
// intended time t0 + i/rate, stamped with its intended and actual send
// times, and the peer times its arrival against both (response and
// service time) on the clock the two processes share. A run whose
// achieved rates fall under MinAchieved of the offered one, or whose
// sender lags by more than one interval at p99, is marked invalid
// (RateResult.Invalid).
//
// # Many pairs
//
// RunPairs runs N sessions at once, each in a driver process of its own:
// a peer function (pairs-driver) that starts an ordinary Session, with its
// own peer and the session's placement, so at pin=split every driver's
// data thread (api=runtime: every driver) is on the parent's CPU and every
// session peer on the peer's. The drivers warm up, report ready and block
// on one barrier pipe; closing its write end starts every pair's window at
// once. A pair's process killed mid-run ends the run at once (the other
// drivers are killed; the session peers die with their drivers by
// Pdeathsig); a pair that has not reported within the window and the hang
// timeout is declared hung.
//
// # Messages
//
// Every workload message carries its sequence number in its first 8 bytes
// and again in its last 8 (from 16 bytes on); the bytes between come from a
// pseudo-random pattern both processes derive from a seed. The receiver of
// a stream checks every byte: where the Conn copies the message out in
// user space (transports.PieceRecver, the shared-memory rings) it compares
// each 4 KiB piece with the pattern right after copying it, while the piece
// is in the first-level cache, one pass over the message instead of a copy
// and then a second read of it all; in ping-pong the parent checks every byte of
// the echo and the peer checks length and sequence number. The parent's
// clock read, its check of an echo and the recording of its time run
// after the next message has gone out, while the peer handles it: each
// op's timed interval (from one clock read after a send to the next)
// still holds one check and one record, but they overlap the round trip
// instead of lengthening it (pingLoop).
package harness
