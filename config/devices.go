package config

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/prometheus/common/model"
)

// Device is one entry of `devices:`: an address or a prefix, a name (single
// addresses only) and labels exported on snmptrap_device_info.
type Device struct {
	Address Source            `yaml:"address"`
	Name    string            `yaml:"name,omitempty"`
	Labels  map[string]string `yaml:"labels,omitempty"`
}

// maxDeviceLabels bounds the labels of one inventory entry.
const maxDeviceLabels = 32

func (c *Config) validateDevices() error {
	names := map[string]int{}
	addrs := map[netip.Prefix]int{}
	for i, d := range c.Devices {
		where := fmt.Sprintf("devices[%d]", i)
		if !d.Address.IsValid() {
			return fmt.Errorf("%s: address is missing", where)
		}
		where = fmt.Sprintf("%s (%s)", where, d.Address.Prefix)
		if j, dup := addrs[d.Address.Prefix]; dup {
			return fmt.Errorf("%s: address already given in devices[%d]", where, j)
		}
		addrs[d.Address.Prefix] = i
		if d.Name != "" {
			if !d.Address.IsSingleIP() {
				return fmt.Errorf("%s: a name is for a single address, not a prefix (a prefix can only give labels)", where)
			}
			if strings.TrimSpace(d.Name) != d.Name || len(d.Name) > 128 {
				return fmt.Errorf("%s: name %q must have no leading or trailing spaces and at most 128 characters", where, d.Name)
			}
			if _, err := netip.ParseAddr(d.Name); err == nil {
				return fmt.Errorf("%s: name %q is an address: it would be mistaken for the device of that address", where, d.Name)
			}
			if d.Name == "_other" {
				return fmt.Errorf("%s: name %q is reserved for the overflow series", where, d.Name)
			}
			if j, dup := names[d.Name]; dup {
				return fmt.Errorf("%s: name %q already used by devices[%d]", where, d.Name, j)
			}
			names[d.Name] = i
		}
		if len(d.Labels) > maxDeviceLabels {
			return fmt.Errorf("%s: %d labels, at most %d", where, len(d.Labels), maxDeviceLabels)
		}
		for k := range d.Labels {
			if !model.LegacyValidation.IsValidLabelName(k) || strings.HasPrefix(k, "__") {
				return fmt.Errorf("%s: invalid label name %q", where, k)
			}
			if k == "device" {
				return fmt.Errorf("%s: label name \"device\" is taken by the device label itself", where)
			}
		}
	}
	return nil
}
