// Package transports puts every Linux IPC mechanism that ipcbench measures
// behind one small interface, so that the harness, the benchmarks and the
// conformance tests treat them alike.
//
// # Contract
//
// The parent process calls Transport.Create: it makes the kernel objects
// (pipes, socket pairs, FIFOs, queues, segments, semaphores) and returns its
// own Conn plus an Endpoint: a serialisable Spec and the files the peer
// inherits. The peer, a separate process, calls Transport.Attach with them.
// Both then hold a Conn:
//
//   - one Send is received by exactly one Recv; boundaries are kept on
//     stream transports too (length-prefixed framing lives once, in
//     internal/frame);
//   - Send of a message larger than the channel's capacity fails with a
//     *LimitError that names the limit and where it comes from;
//   - Close on the creating side removes every kernel object the transport
//     made (unlink, IPC_RMID), also when the peer died;
//   - a Conn whose blocking calls would not notice the peer's death
//     implements Interrupter.
//
// The socket transports whose Info.Net is true (tcp, udp) also run on a
// network path (Options.Net): the parent's socket is bound to an address
// in a given network namespace, and the peer, which may be in another
// namespace or on another machine, inherits nothing but dials that address
// (Spec.Params) from a socket of its own and tells its own address in its
// Reply; the parent's Conn is usable after Connect (see netpath.go).
//
// Each transport is one file that registers itself in init (Register);
// Names lists them and Lookup finds one by name, with an error that lists
// the valid names for an unknown one. The registration (Info) is the only
// list of transports: besides how to make one, it says what the reports
// need (Family, Wait, Order), which the results files carry, so a new
// transport is measured, charted and judged with nothing else to edit
// (TestInfoDescribesWhatReportsNeed names a field it lacks). Everything is built on
// golang.org/x/sys/unix without cgo; the few system calls x/sys lacks
// (futex, POSIX and System V queues, System V semaphores) are wrapped once
// in the module's internal/sys.
//
// The shared-memory transports also offer API ZeroCopy: their Conn then
// implements ZeroCopyConn (Borrow/Commit to write a message in place,
// View/Release to read it in place). Its contract (lifetimes, who may
// touch which bytes when, messages in flight, what is and is not detected)
// is ZeroCopyConn's documentation, in zerocopy.go.
package transports
