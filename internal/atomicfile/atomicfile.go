// Package atomicfile replaces files atomically: a reader, or the file
// after a crash, sees the old content or the new, never a mix.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options tune WriteFile. The zero value replaces the file and no more.
type Options struct {
	// Stamp sets the new file's modification time just below the time
	// the system stamped its write with, where the file system keeps
	// times finer than whole seconds: then any later change to the file,
	// however soon, gives it another modification time, which a reader
	// comparing stats sees even within one tick of the system's clock.
	// This holds as long as the clock does not step back and no one sets
	// the file's time.
	Stamp bool
	// Placing, if not nil, is called with the stat of the new file,
	// synced and closed, just before the rename puts it in place: its
	// identity, size and modification time are the file's at path after,
	// as long as no one else changes it. stamped reports whether its
	// modification time is the one Stamp set. If Placing returns an
	// error, WriteFile removes the new file and returns the error.
	Placing func(fi fs.FileInfo, stamped bool) error
}

// WriteFile replaces the file target with data. It writes a temporary
// file beside it, syncs it, renames it over target and syncs the
// directory.
//
// target is the file itself, as [Resolve] returns it: a symlink there
// would be replaced, not followed, so callers resolve the path first
// (and lock on the result, where they lock). An existing file keeps its
// permission bits, and its owner and group where the process may give
// them (root may: a file of a user replaced by root stays the user's);
// a new one gets perm. A target that exists and is not a
// regular file (a directory, a FIFO, a device) is refused.
//
// WriteFile does not lock: callers that share the file with other writers
// serialize them. A writer killed mid-way leaves a temporary file named as
// [TempPattern] says, which is never read as the file; [RemoveTemps]
// removes them.
func WriteFile(target string, data []byte, perm fs.FileMode, opts Options) (err error) {
	old, err := os.Stat(target)
	if err == nil {
		if !old.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file; refusing to replace it", target)
		}
		perm = old.Mode().Perm()
	} else if !os.IsNotExist(err) {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(target), TempPattern(target))
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if old != nil {
		KeepOwner(f, fi, old)
	}
	// CreateTemp made it 0o600, less the umask: changed only if that is
	// not perm.
	if fi.Mode().Perm() != perm {
		if err = f.Chmod(perm); err != nil {
			return err
		}
	}
	// Before the sync, so that the time is written with the data. Best
	// effort: Placing is told whether it held.
	// Not on whole seconds (FAT keeps two): a time set a tick back would
	// read as old at once, where a reader's racy window wants a new one.
	var written time.Time
	if opts.Stamp && fi.ModTime().Nanosecond() != 0 {
		written = fi.ModTime()
		os.Chtimes(tmp, time.Time{}, written.Add(-time.Nanosecond))
	}
	// Sync before rename: otherwise a crash can leave the new name
	// pointing at a file whose data never reached the disk.
	if err = f.Sync(); err != nil {
		return err
	}
	if opts.Placing != nil {
		// Again: Stamp has changed the time.
		if fi, err = f.Stat(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	if opts.Placing != nil {
		if err = opts.Placing(fi, fi.ModTime().Before(written)); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, target); err != nil {
		return err
	}
	syncDir(filepath.Dir(target))
	return nil
}

// TempPattern is the os.CreateTemp pattern of WriteFile's temporary files
// for target.
func TempPattern(target string) string {
	return "." + filepath.Base(target) + ".tmp-*"
}

// RemoveTemps removes the temporary files that writers killed mid-way
// left beside path. Call it only while no writer of the file is running
// (under the writers' lock).
func RemoveTemps(path string) {
	target, err := Resolve(path)
	if err != nil {
		return
	}
	dir := filepath.Dir(target)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if isTemp(e.Name(), filepath.Base(target)) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// isTemp reports whether name is that of a temporary file of WriteFile
// for the file named base: TempPattern with digits for its "*", as
// os.CreateTemp makes them. The name is compared as it is, not as a
// pattern, and the digits keep the temporary files of another file
// (base "x.tmp-1", say) out.
func isTemp(name, base string) bool {
	rest, ok := strings.CutPrefix(name, "."+base+".tmp-")
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// Resolve returns the file that a write to path replaces, as the system
// finds it at this moment: its directory with every symlink in it
// followed and ".." taken after them (see RealDir), then the chain of
// symlinks at its end, if any, followed the same way, as far as the
// system follows one (maxLinks). The file need not exist.
func Resolve(path string) (string, error) {
	for range maxLinks + 1 {
		dir, file := filepath.Split(path)
		real, err := RealDir(dir)
		if err != nil {
			return "", err
		}
		link, isLink, err := follow(real, file)
		if err != nil || !isLink {
			return link, err
		}
		path = link
	}
	return "", fmt.Errorf("%s: too many links", path)
}

// RealDir returns the directory dir ("" for the working directory) as the
// system resolves it: every symlink in it followed, and ".." taken as the
// parent of where the path before it leads, which a cleaning of the path
// by the letter gets wrong after a symlink. Directories at its end that
// do not exist yet are kept as named, on the real path of the rest, and a
// symlink among them that leads to no directory yet is followed the same
// way, so that the directory made there is the one the path leads to;
// ".." after a missing directory is an error, as it is for the system.
func RealDir(dir string) (string, error) {
	return realDir(dir, 0)
}

// maxLinks is how many symlinks a path may lead through, as Linux allows.
const maxLinks = 40

// realDir is RealDir, having followed links dangling symlinks so far.
func realDir(dir string, links int) (string, error) {
	if dir == "" {
		dir = "."
	}
	real, err := filepath.EvalSymlinks(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return real, err
	}
	parent, name := filepath.Split(strings.TrimRight(dir, `/`+string(filepath.Separator)))
	if name == "" || name == "." || name == ".." {
		return "", err
	}
	if real, err = realDir(parent, links); err != nil {
		return "", err
	}
	link, isLink, err := follow(real, name)
	if err != nil || !isLink {
		return link, err
	}
	if links++; links > maxLinks {
		return "", fmt.Errorf("%s: too many links", dir)
	}
	return realDir(link, links)
}

// follow returns where name in the directory real leads: if it is a
// symlink, the path its target names (isLink), else real/name itself,
// whether it exists or not.
func follow(real, name string) (next string, isLink bool, err error) {
	path := filepath.Join(real, name)
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, false, nil
	}
	link, err := os.Readlink(path)
	if err != nil {
		return "", false, err
	}
	if !filepath.IsAbs(link) {
		// Not filepath.Join, which would clean ".." in the link away by
		// the letter.
		link = real + string(filepath.Separator) + link
	}
	return link, true, nil
}

// syncDir makes a rename in dir durable. It is best effort: some platforms
// (Windows) cannot sync a directory, and the rename has happened already.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
