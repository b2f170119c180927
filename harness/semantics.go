package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// Semantics runs the semantics experiments and returns their config
// lines: what the kernel did when the rules of pipes and FIFOs that the
// claims state were tried (results.ConfigPipeUnrelated, ConfigPipeDuplex,
// ConfigFIFOOpen). Each takes a few tens of milliseconds at most and
// leaves no descriptor, file or process behind; a probe that cannot run
// says so in its outcome (results.Failed).
func Semantics() []ConfigLine {
	return []ConfigLine{
		{results.ConfigPipeUnrelated, results.FormatObservations(PipeUnrelated())},
		{results.ConfigPipeDuplex, results.FormatObservations(PipeDuplex())},
		{results.ConfigFIFOOpen, results.FormatObservations(FIFOOpen(""))},
	}
}

// semanticsTimeout bounds every wait of the experiments on the kernel or
// a peer, so that a probe that goes wrong ends in an error, not a hang.
const semanticsTimeout = 2 * time.Second

// FIFOWait is how long the FIFO experiment waits to see that a blocking
// open has not returned.
const FIFOWait = 20 * time.Millisecond

// errnoText is "EBADF" for an errno, else the error's text.
func errnoText(err error) string {
	var e unix.Errno
	if errors.As(err, &e) && unix.ErrnoName(e) != "" {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

// refusedOrFailed is the outcome of a call that failed: refused with its
// errno, or an error that is no errno.
func refusedOrFailed(err error) string {
	var e unix.Errno
	if errors.As(err, &e) {
		return results.Refused + " (" + errnoText(err) + ")"
	}
	return results.Failed + ": " + err.Error()
}

// failedAll is the same error as the outcome of every probe.
func failedAll(err error, probes ...string) []results.Observation {
	out := make([]results.Observation, len(probes))
	for i, p := range probes {
		out[i] = results.Observation{Probe: p, Outcome: results.Failed + ": " + err.Error()}
	}
	return out
}

// Peer functions of the anonymous-pipe experiment.
const (
	pipeOwnerFunc  = "harness-pipe-owner"
	pipeJoinerFunc = "harness-pipe-joiner"
)

// ownerArgs and ownerInfo: the owner listens on the abstract Unix socket
// Socket and tells where its pipe's read end is.
type ownerArgs struct{ Socket string }
type ownerInfo struct{ PID, FD int }
type joinerArgs struct {
	PID, FD int
	Socket  string
}

var semanticsSeq atomic.Int64

func init() {
	RegisterPeerFunc(pipeOwnerFunc, pipeOwner)
	RegisterPeerFunc(pipeJoinerFunc, pipeJoiner)
}

// PipeUnrelated tries whether an anonymous pipe joins only the processes
// that inherit it. Two peers are started with no descriptor from this
// process nor from each other: the owner makes a pipe after it started,
// writes two bytes into it and reports its pid and the read end's number;
// the joiner, which did not make the pipe and could not inherit it (a
// sibling, neither the owner's ancestor nor its descendant), opens
// /proc/<owner>/fd/<n> (results.ProbeProcFD) and connects to the owner's
// Unix socket, which hands it the read end with SCM_RIGHTS
// (results.ProbeSCMRights). Each way joined when a byte written by the
// owner was read through it.
func PipeUnrelated() []results.Observation {
	probes := []string{results.ProbeProcFD, results.ProbeSCMRights}
	sock := fmt.Sprintf("ipcbench-%d-semantics-%d", os.Getpid(), semanticsSeq.Add(1))
	owner, err := StartFunc(pipeOwnerFunc, PinNone, transports.Raw, nil)
	if err != nil {
		return failedAll(fmt.Errorf("start the owner: %w", err), probes...)
	}
	defer owner.Close()
	var info ownerInfo
	if err := owner.Begin(ownerArgs{Socket: sock}); err != nil {
		return failedAll(fmt.Errorf("owner: %w", err), probes...)
	}
	if err := owner.Recv(&info); err != nil {
		return failedAll(fmt.Errorf("owner: %w", err), probes...)
	}
	joiner, err := StartFunc(pipeJoinerFunc, PinNone, transports.Raw, nil)
	if err != nil {
		return failedAll(fmt.Errorf("start the joiner: %w", err), probes...)
	}
	defer joiner.Close()
	var obs []results.Observation
	if err := joiner.Begin(joinerArgs{PID: info.PID, FD: info.FD, Socket: sock}); err != nil {
		return failedAll(fmt.Errorf("joiner: %w", err), probes...)
	}
	if _, _, err := joiner.Finish(&obs); err != nil {
		return failedAll(fmt.Errorf("joiner: %w", err), probes...)
	}
	if _, _, err := owner.Finish(nil); err != nil {
		return failedAll(fmt.Errorf("owner: %w", err), probes...)
	}
	return obs
}

// pipeOwner makes the pipe, writes a byte for each way of joining, and
// serves one joiner on the abstract socket: it sends the read end with
// SCM_RIGHTS and keeps the pipe open until the joiner hangs up.
func pipeOwner(pc *PeerContext) (any, error) {
	var a ownerArgs
	if err := json.Unmarshal(pc.Args, &a); err != nil {
		return nil, err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("pipe2", err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(p[1], []byte("ab")); err != nil {
		return nil, os.NewSyscallError("write", err)
	}
	ln, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer unix.Close(ln)
	if err := unix.Bind(ln, &unix.SockaddrUnix{Name: "@" + a.Socket}); err != nil {
		return nil, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(ln, 1); err != nil {
		return nil, os.NewSyscallError("listen", err)
	}
	if err := pc.Send(ownerInfo{PID: os.Getpid(), FD: p[0]}); err != nil {
		return nil, err
	}
	if err := waitIn(ln); err != nil {
		return nil, fmt.Errorf("accept: %w", err)
	}
	c, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("accept4", err)
	}
	defer unix.Close(c)
	if err := unix.Sendmsg(c, []byte{0}, unix.UnixRights(p[0]), nil, 0); err != nil {
		return nil, os.NewSyscallError("sendmsg", err)
	}
	// The joiner hangs up when it is done.
	if err := waitIn(c); err != nil {
		return nil, fmt.Errorf("wait for the joiner: %w", err)
	}
	return nil, nil
}

// pipeJoiner tries both ways into the owner's pipe.
func pipeJoiner(pc *PeerContext) (any, error) {
	var a joinerArgs
	if err := json.Unmarshal(pc.Args, &a); err != nil {
		return nil, err
	}
	proc := results.Observation{Probe: results.ProbeProcFD}
	if fd, err := unix.Open(fmt.Sprintf("/proc/%d/fd/%d", a.PID, a.FD), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		proc.Outcome = refusedOrFailed(err)
	} else {
		proc.Outcome = readOne(fd)
		unix.Close(fd)
	}
	return []results.Observation{proc, {Probe: results.ProbeSCMRights, Outcome: joinByRights(a.Socket)}}, nil
}

// joinByRights connects to the abstract socket name, receives one
// descriptor and reads a byte through it.
func joinByRights(name string) string {
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return results.Failed + ": " + os.NewSyscallError("socket", err).Error()
	}
	defer unix.Close(s)
	if err := unix.Connect(s, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		return results.Failed + ": " + os.NewSyscallError("connect", err).Error()
	}
	if err := waitIn(s); err != nil {
		return results.Failed + ": " + err.Error()
	}
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(s, make([]byte, 1), oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return refusedOrFailed(os.NewSyscallError("recvmsg", err))
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return results.Failed + fmt.Sprintf(": %d control messages (%v), want one", len(msgs), err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return results.Failed + fmt.Sprintf(": %d descriptors (%v), want one", len(fds), err)
	}
	defer unix.Close(fds[0])
	return readOne(fds[0])
}

// readOne reads one byte from fd, waiting for it: Joined if it came.
func readOne(fd int) string {
	if err := waitIn(fd); err != nil {
		return results.Failed + ": " + err.Error()
	}
	var b [1]byte
	n, err := unix.Read(fd, b[:])
	switch {
	case err != nil:
		return refusedOrFailed(os.NewSyscallError("read", err))
	case n != 1:
		return results.Failed + ": end of file, no byte"
	}
	return results.Joined + " (1 byte read)"
}

// waitIn waits until fd is readable, for semanticsTimeout at most.
func waitIn(fd int) error {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(pfd, int(semanticsTimeout/time.Millisecond))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return os.NewSyscallError("poll", err)
		case n == 0:
			return fmt.Errorf("nothing to read after %v", semanticsTimeout)
		}
		return nil
	}
}

// PipeDuplex tries a pipe's direction: a write on its read end
// (results.ProbeWriteReadEnd), a read on its write end
// (results.ProbeReadWriteEnd), and against them a byte each way through
// one end of a Unix socketpair (results.ProbeSocketpair). All descriptors
// are non-blocking, so that no probe can wait.
func PipeDuplex() []results.Observation {
	probes := []string{results.ProbeWriteReadEnd, results.ProbeReadWriteEnd, results.ProbeSocketpair}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return failedAll(os.NewSyscallError("pipe2", err), probes...)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	out := []results.Observation{{Probe: results.ProbeWriteReadEnd}, {Probe: results.ProbeReadWriteEnd}, {Probe: results.ProbeSocketpair}}
	if _, err := unix.Write(p[0], []byte{1}); err != nil {
		out[0].Outcome = refusedOrFailed(err)
	} else {
		out[0].Outcome = results.Worked + " (1 byte written)"
	}
	if _, err := unix.Read(p[1], make([]byte, 1)); err != nil {
		out[1].Outcome = refusedOrFailed(err)
	} else {
		out[1].Outcome = results.Worked + " (a read returned)"
	}
	out[2].Outcome = bothWays()
	return out
}

// bothWays sends a byte each way between the two ends of a socketpair.
func bothWays() string {
	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return results.Failed + ": " + os.NewSyscallError("socketpair", err).Error()
	}
	defer unix.Close(s[0])
	defer unix.Close(s[1])
	for _, d := range [][2]int{{s[0], s[1]}, {s[1], s[0]}} {
		if _, err := unix.Write(d[0], []byte{1}); err != nil {
			return refusedOrFailed(os.NewSyscallError("write", err))
		}
		if _, err := unix.Read(d[1], make([]byte, 1)); err != nil {
			return refusedOrFailed(os.NewSyscallError("read", err))
		}
	}
	return results.Worked + " (1 byte each way)"
}

// FIFOOpen tries the opening rule of a FIFO made in a new directory
// under dir ("" for the system's temporary directory), removed after:
// O_RDONLY|O_NONBLOCK with no writer (results.ProbeFIFOReadNonblock),
// O_WRONLY|O_NONBLOCK with no reader (results.ProbeFIFOWriteNonblock),
// and a blocking O_WRONLY with no reader (results.ProbeFIFOBlocking),
// which blocked if it had not returned after FIFOWait, and is then ended
// by a reader's open.
func FIFOOpen(dir string) []results.Observation {
	probes := []string{results.ProbeFIFOBlocking, results.ProbeFIFOWriteNonblock, results.ProbeFIFOReadNonblock}
	d, err := os.MkdirTemp(dir, "ipcbench-fifo-")
	if err != nil {
		return failedAll(err, probes...)
	}
	defer os.RemoveAll(d)
	path := filepath.Join(d, "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return failedAll(os.NewSyscallError("mkfifo", err), probes...)
	}
	open := func(flags int) (int, error) { return unix.Open(path, flags|unix.O_CLOEXEC, 0) }
	once := func(flags int) string {
		fd, err := open(flags)
		if err != nil {
			return refusedOrFailed(err)
		}
		unix.Close(fd)
		return results.Returned + " at once"
	}
	rd := once(unix.O_RDONLY | unix.O_NONBLOCK)
	wr := once(unix.O_WRONLY | unix.O_NONBLOCK)
	return []results.Observation{{Probe: results.ProbeFIFOBlocking, Outcome: blockingOpen(open)}, {Probe: results.ProbeFIFOWriteNonblock, Outcome: wr}, {Probe: results.ProbeFIFOReadNonblock, Outcome: rd}}
}

// blockingOpen opens the FIFO O_WRONLY with no reader, in a goroutine,
// and after FIFOWait opens a reader.
func blockingOpen(open func(int) (int, error)) string {
	type opened struct {
		fd  int
		err error
	}
	done := make(chan opened, 1)
	go func() {
		fd, err := open(unix.O_WRONLY)
		done <- opened{fd, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			return refusedOrFailed(o.err)
		}
		unix.Close(o.fd)
		return results.Returned + " before a reader opened"
	case <-time.After(FIFOWait):
	}
	rfd, err := open(unix.O_RDONLY | unix.O_NONBLOCK)
	if err != nil {
		// The writer stays blocked in open: nothing can end it.
		return results.Failed + ": open a reader: " + errnoText(err)
	}
	defer unix.Close(rfd)
	select {
	case o := <-done:
		if o.err != nil {
			return results.Blocked + fmt.Sprintf(" (not returned after %v), then failed (%s) once a reader opened", FIFOWait, errnoText(o.err))
		}
		unix.Close(o.fd)
		return results.Blocked + fmt.Sprintf(" (not returned after %v), returned once a reader opened", FIFOWait)
	case <-time.After(semanticsTimeout):
		return results.Blocked + fmt.Sprintf(", and still blocked %v after a reader opened", semanticsTimeout)
	}
}
