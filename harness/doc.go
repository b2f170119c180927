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
// File descriptor 3 of the peer is a SOCK_SEQPACKET control channel; the
// transport's descriptors follow at 4, 5, …. Every control message is one
// JSON packet. The parent sends "attach" with the transport Spec and the
// CPU to pin to; the peer attaches, pins its thread and answers "ready"
// (or an error) within a deadline. Then the parent sends one workload at a
// time (echo, pingpong, stream, or a registered peer function) and the peer
// answers with a report: messages seen, losses, its own CPU time and
// context switches.
//
// Liveness goes both ways. The peer exits when the control channel reaches
// end of file (the parent died); the child is also started with Pdeathsig
// from a thread that lives as long as the process. The parent notices the
// peer's death as end of file on the control channel, watches for progress
// while a workload runs, kills a peer that makes none for the hang timeout,
// interrupts the transport (transports.Interrupter) so no call stays
// blocked, and always reaps the child. Errors name the transport, the
// workload, the size and the message number (*PeerError, *RunError).
//
// # Placement
//
// Pin chooses where the two processes run: PinSplit puts the parent's and
// the peer's data threads on different CPUs, PinSame on one CPU, PinNone
// leaves it to the scheduler. Only the threads that move messages are
// pinned (runtime.LockOSThread, then sched_setaffinity on that thread).
//
// # Messages
//
// Every workload message carries its sequence number in its first 8 bytes
// and again in its last 8 (from 16 bytes on); the bytes between come from a
// pseudo-random pattern both processes derive from a seed. The receiver of
// a stream checks every byte; in ping-pong the parent checks every byte of
// the echo and the peer checks length and sequence number. The parent's
// clock read, its check of an echo and the recording of its time run
// after the next message has gone out, while the peer handles it: each
// op's timed interval (from one clock read after a send to the next)
// still holds one check and one record, but they overlap the round trip
// instead of lengthening it (pingLoop).
package harness
