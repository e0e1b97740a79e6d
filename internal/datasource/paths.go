package datasource

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// kernelDirs are pseudo-filesystems whose files hold the process's
// environment, memory and devices. No data source lives there, and reading
// one (file.path: /proc/self/environ) would put Secret values into errors.
var kernelDirs = []string{"/proc", "/sys", "/dev"}

// confinePath resolves a configured path the way the operating system will
// open it (relative to root, symlinks followed) and refuses it unless the
// result stays inside root. An empty root (a local run on the user's own
// machine) confines nothing but the kernel directories, which are refused
// everywhere. A path with a ".." element is refused before resolving: it is
// never needed inside the data directory and only ever used to leave it.
//
// Errors name the setting and the configured path (the tenant's own spec
// value), never what the path resolved to, so a symlink cannot be used to
// probe the node's files.
func confinePath(setting, path, root string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s is empty", setting)
	}
	for _, el := range strings.Split(filepath.ToSlash(path), "/") {
		if el == ".." {
			return "", fmt.Errorf("%s %q contains \"..\"; give the path inside the data directory without it", setting, path)
		}
	}
	if root != "" && !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", setting, path, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s %q: %w", setting, path, os.ErrNotExist)
		}
		return "", fmt.Errorf("%s %q cannot be resolved", setting, path)
	}
	for _, dir := range kernelDirs {
		if within(abs, dir) || within(resolved, dir) {
			return "", fmt.Errorf("%s %q is under %s, which holds no data; point it at the data directory", setting, path, dir)
		}
	}
	if root == "" {
		return resolved, nil
	}
	rootResolved, err := filepath.EvalSymlinks(root)
	if err != nil {
		// No data mounted: nothing can be inside it.
		rootResolved = filepath.Clean(root)
	}
	if !within(resolved, rootResolved) {
		return "", fmt.Errorf("%s %q is outside the data directory %s (directly or through a symlink); mount the data there (file.configMapRef) and give a path inside it", setting, path, root)
	}
	return resolved, nil
}

// within reports whether path is dir or below it (both cleaned, absolute).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// openConfined opens a data file after confinePath, so a table file that is
// itself a symlink (orders.csv -> /proc/self/environ) is refused like a
// configured path would be.
func openConfined(setting, path, root string) (*os.File, error) {
	resolved, err := confinePath(setting, path, root)
	if err != nil {
		return nil, err
	}
	return os.Open(resolved)
}
