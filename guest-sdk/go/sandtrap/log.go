// Logging through the host (tagged with the detector id, rate-limited)
// and the host clock.

//go:build wasip1

package sandtrap

import "fmt"

// LogLevel of a log line.
type LogLevel uint8

const (
	LevelTrace LogLevel = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

// Log writes one line through the host. Standard output and error go
// nowhere in the sandbox; use this instead of fmt.Print.
func Log(level LogLevel, message string) {
	if level > LevelError {
		level = LevelError
	}
	importLog(uint32(level), message)
}

// Logf formats and writes one line.
func Logf(level LogLevel, format string, args ...any) {
	Log(level, fmt.Sprintf(format, args...))
}

// Now returns the host clock in nanoseconds since the Unix epoch (fixed
// under the mock host: prefer it to time.Now so scenarios reproduce).
func Now() uint64 { return importNow() }
