// Package shm maps the shared memory of the shared-memory transports in
// three ways, so that one ring (package ring) runs over each; the reference
// floors (package reference) use its memfd mapping:
//
//   - memfd: an anonymous memory file (memfd_create, MFD_CLOEXEC), passed
//     to the peer as an inherited file and mapped MAP_SHARED by both;
//   - file: an ordinary file in a private 0700 directory under the
//     temporary directory, created O_EXCL 0600 and opened by the peer by
//     path; the creator removes file and directory as soon as both sides
//     have mapped it (the remove function CreateFile returns), or at
//     Close at the latest;
//   - sysv: a System V segment (shmget IPC_PRIVATE|IPC_CREAT|IPC_EXCL,
//     0600), attached with shmat by both; the creator marks it for removal
//     (IPC_RMID) as soon as both are attached, and the kernel frees it at
//     the last detach.
//
// Every name starts with "ipcbench-<pid>-<random hex>" (Name), so that
// leftovers of a crashed run can be found and swept.
package shm

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Prefix starts every name this package makes.
const Prefix = "ipcbench-"

// Name returns a fresh name "ipcbench-<pid>-<16 random hex digits>".
func Name() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("shm: random name: %w", err)
	}
	return fmt.Sprintf("%s%d-%s", Prefix, os.Getpid(), hex.EncodeToString(b[:])), nil
}

// A Mapping is shared memory mapped into this process.
type Mapping struct {
	// Mem is the mapped memory, page-aligned.
	Mem   []byte
	unmap func([]byte) error
}

// Close unmaps the memory (munmap or shmdt). Idempotent; Mem is nil after.
func (m *Mapping) Close() error {
	if m == nil || m.Mem == nil {
		return nil
	}
	mem := m.Mem
	m.Mem = nil
	if err := m.unmap(mem); err != nil {
		return fmt.Errorf("shm: unmap: %w", err)
	}
	return nil
}

func mmapFd(fd, size int) (*Mapping, error) {
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("shm: %w", os.NewSyscallError("mmap", err))
	}
	return &Mapping{Mem: mem, unmap: func(b []byte) error {
		if err := unix.Munmap(b); err != nil {
			return os.NewSyscallError("munmap", err)
		}
		return nil
	}}, nil
}

// CreateMemfd creates a memfd of size bytes and maps it. The file is for
// the peer (it has close-on-exec set; exec.Cmd.ExtraFiles clears it in
// the child); the caller owns it.
func CreateMemfd(size int) (*Mapping, *os.File, error) {
	name, err := Name()
	if err != nil {
		return nil, nil, err
	}
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("shm: %w", os.NewSyscallError("memfd_create", err))
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("shm: memfd of %d bytes: %w", size, os.NewSyscallError("ftruncate", err))
	}
	m, err := mmapFd(fd, size)
	if err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	return m, os.NewFile(uintptr(fd), "memfd:"+name), nil
}

// MapFile maps size bytes of f (a memfd or a regular file), after checking
// that the file is that large (a shorter file would fault with SIGBUS).
func MapFile(f *os.File, size int) (*Mapping, error) {
	var st unix.Stat_t
	fd := int(f.Fd())
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("shm: %w", os.NewSyscallError("fstat", err))
	}
	if st.Size < int64(size) {
		return nil, fmt.Errorf("shm: %s has %d bytes, need %d", f.Name(), st.Size, size)
	}
	return mmapFd(fd, size)
}

// CreateFile creates an ordinary file of size bytes in a new private
// directory under os.TempDir() and maps it. remove deletes file and
// directory (idempotent); the mapping stays valid.
func CreateFile(size int) (m *Mapping, path string, remove func() error, err error) {
	name, err := Name()
	if err != nil {
		return nil, "", nil, err
	}
	dir := filepath.Join(os.TempDir(), name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, "", nil, fmt.Errorf("shm: %w", err)
	}
	path = filepath.Join(dir, "ring")
	removed := false
	remove = func() error {
		if removed {
			return nil
		}
		removed = true
		err1 := os.Remove(path)
		if os.IsNotExist(err1) {
			err1 = nil
		}
		err2 := os.Remove(dir)
		if os.IsNotExist(err2) {
			err2 = nil
		}
		if err1 != nil {
			return fmt.Errorf("shm: %w", err1)
		}
		if err2 != nil {
			return fmt.Errorf("shm: %w", err2)
		}
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		remove()
		return nil, "", nil, fmt.Errorf("shm: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		remove()
		return nil, "", nil, fmt.Errorf("shm: %w", err)
	}
	m, err = MapFile(f, size)
	if err != nil {
		remove()
		return nil, "", nil, err
	}
	return m, path, remove, nil
}

// OpenFile maps size bytes of the file at path, which CreateFile made.
func OpenFile(path string, size int) (*Mapping, error) {
	if !strings.HasPrefix(filepath.Base(filepath.Dir(path)), Prefix) {
		return nil, fmt.Errorf("shm: %q is not an ipcbench file", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("shm: %w", err)
	}
	defer f.Close()
	return MapFile(f, size)
}

func shmdt(b []byte) error {
	if err := unix.SysvShmDetach(b); err != nil {
		return os.NewSyscallError("shmdt", err)
	}
	return nil
}

// CreateSysv creates a System V segment of size bytes (IPC_PRIVATE,
// IPC_CREAT|IPC_EXCL, 0600) and attaches it. The caller removes it with
// RemoveSysv.
func CreateSysv(size int) (*Mapping, int, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, -1, fmt.Errorf("shm: segment of %d bytes: %w", size, os.NewSyscallError("shmget", err))
	}
	m, err := AttachSysv(id, size)
	if err != nil {
		RemoveSysv(id)
		return nil, -1, err
	}
	return m, id, nil
}

// AttachSysv attaches segment id, which must be at least size bytes.
func AttachSysv(id, size int) (*Mapping, error) {
	mem, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("shm: segment %d: %w", id, os.NewSyscallError("shmat", err))
	}
	if len(mem) < size {
		unix.SysvShmDetach(mem)
		return nil, fmt.Errorf("shm: segment %d has %d bytes, need %d", id, len(mem), size)
	}
	return &Mapping{Mem: mem[:size:size], unmap: func(b []byte) error { return shmdt(b) }}, nil
}

// RemoveSysv marks segment id for removal (IPC_RMID): it disappears at
// the last detach (Linux still lets a process that knows the id attach
// it until then; ipcbench's peer has attached before). Removing a segment
// already removed is not an error.
func RemoveSysv(id int) error {
	if _, err := unix.SysvShmCtl(id, unix.IPC_RMID, nil); err != nil && err != unix.EINVAL && err != unix.EIDRM {
		return fmt.Errorf("shm: segment %d: %w", id, os.NewSyscallError("shmctl", err))
	}
	return nil
}
