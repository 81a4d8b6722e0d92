// Typed access to the key/value configuration given to Init.

package sandtrap

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// Config is a detector's configuration, from the host's TOML file or a
// scenario's `config:`.
type Config struct{ entries [][2]string }

// NewConfig wraps key/value pairs (for tests of detector logic).
func NewConfig(pairs ...[2]string) Config { return Config{entries: pairs} }

// Get returns the value of key; the last one when repeated.
func (c Config) Get(key string) (string, bool) {
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i][0] == key {
			return c.entries[i][1], true
		}
	}
	return "", false
}

// List splits a value on commas and whitespace, dropping empty items.
func (c Config) List(key string) []string {
	v, _ := c.Get(key)
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// Uint64Or parses a number, def when the key is absent, and an error
// naming the key when the text is not a number.
func (c Config) Uint64Or(key string, def uint64) (uint64, error) {
	v, ok := c.Get(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, errors.New("config " + strconv.Quote(key) + ": " + strconv.Quote(v) + " is not a number")
	}
	return n, nil
}

// Entries returns all pairs, in order.
func (c Config) Entries() [][2]string { return c.entries }
