package gossip

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	c := DefaultConfig()
	c.Name, c.BindAddr = "n1", "127.0.0.1:0"
	return c
}

// Only validate is called here: nothing binds or dials a non-loopback
// address.
func TestConfigValidate(t *testing.T) {
	key := make([]byte, 32)
	for _, tc := range []struct {
		name    string
		tune    func(c *Config)
		wantErr string // "" for valid
	}{
		{"loopback without key", func(c *Config) {}, ""},
		{"localhost without key", func(c *Config) { c.BindAddr = "localhost:7946" }, ""},
		{"ipv6 loopback without key", func(c *Config) { c.BindAddr = "[::1]:7946" }, ""},
		{"non-loopback without key", func(c *Config) { c.BindAddr = "10.1.2.3:7946" }, "not a loopback address"},
		{"every interface without key", func(c *Config) { c.BindAddr = ":7946" }, "not a loopback address"},
		{"loopback bind, non-loopback advertise", func(c *Config) { c.AdvertiseAddr = "192.0.2.1" }, "not a loopback address"},
		{"non-loopback with key", func(c *Config) { c.BindAddr, c.Keys = "10.1.2.3:7946", [][]byte{key} }, ""},
		{"non-loopback insecure", func(c *Config) { c.BindAddr, c.Insecure = "10.1.2.3:7946", true }, ""},
		{"key of 15 bytes", func(c *Config) { c.Keys = [][]byte{make([]byte, 15)} }, "15 bytes"},
		{"second key bad", func(c *Config) { c.Keys = [][]byte{key, make([]byte, 33)} }, "33 bytes"},
		{"no name", func(c *Config) { c.Name = "" }, "name is required"},
		{"bad profile", func(c *Config) { c.Profile = "fast" }, "profile"},
		{"negative top rates", func(c *Config) { c.TopRates = -1 }, "positive"},
		{"zero state interval", func(c *Config) { c.StateInterval = 0 }, "positive"},
		{"zero tombstone ttl", func(c *Config) { c.TombstoneTTL = 0 }, "positive"},
		{"zero skew", func(c *Config) { c.MaxClockSkew = 0 }, "positive"},
		{"negative retransmit mult", func(c *Config) { c.RetransmitMult = -1 }, "multipliers"},
		{"zero join retry", func(c *Config) { c.JoinRetryInterval = 0 }, "join retry"},
		{"bind without port", func(c *Config) { c.BindAddr = "127.0.0.1" }, "bind address"},
		{"bind with bad port", func(c *Config) { c.BindAddr = "127.0.0.1:99999" }, "bad port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.tune(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestMemberlistConfigTakesTheTimers(t *testing.T) {
	c := validConfig()
	c.Profile = "local"
	if mc := c.memberlistConfig(); mc.RetransmitMult != 2 || mc.SuspicionMult != 3 {
		t.Fatalf("local profile: retransmit %d suspicion %d", mc.RetransmitMult, mc.SuspicionMult)
	}
	c.RetransmitMult, c.SuspicionMult, c.ProbeInterval = 4, 5, 123*time.Millisecond
	if mc := c.memberlistConfig(); mc.RetransmitMult != 4 || mc.SuspicionMult != 5 || mc.ProbeInterval != 123*time.Millisecond {
		t.Fatalf("overrides not taken: retransmit %d suspicion %d probe %v", mc.RetransmitMult, mc.SuspicionMult, mc.ProbeInterval)
	}
}

func TestEnabled(t *testing.T) {
	c := validConfig()
	if c.Enabled() {
		t.Fatal("no region and no join: a cluster of one")
	}
	c.Region = "eu"
	if !c.Enabled() {
		t.Fatal("a region joins")
	}
}

func TestParseKey(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		k, err := ParseKey(" " + base64.StdEncoding.EncodeToString(make([]byte, n)) + "\n")
		if err != nil || len(k) != n {
			t.Fatalf("%d-byte key: %v, %d bytes", n, err, len(k))
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 8)),
		base64.StdEncoding.EncodeToString(make([]byte, 33)), base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})} {
		if k, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) = %x, want an error", s, k)
		}
	}
}

func TestParseKeyring(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	k2 := base64.StdEncoding.EncodeToString(append(make([]byte, 31), 7))
	keys, err := ParseKeyring([]byte(`["` + k2 + `", "` + k1 + `"]`))
	if err != nil || len(keys) != 2 || len(keys[0]) != 32 || keys[0][31] != 7 || len(keys[1]) != 16 {
		t.Fatalf("keyring: %v, %d keys: want the 32-byte key first", err, len(keys))
	}
	for _, in := range []string{``, `[]`, `{}`, `"` + k1 + `"`, `[1]`, `["` + k1 + `", "short"]`, `["` + k1 + `"`, `null`} {
		if keys, err := ParseKeyring([]byte(in)); err == nil {
			t.Errorf("ParseKeyring(%s) = %d keys, want an error", in, len(keys))
		}
	}
}
