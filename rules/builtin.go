package rules

import (
	"github.com/snmptrap-exporter/snmptrap_exporter/config"
)

// The built-in rules are ordinary rules, written here instead of in a file
// and compiled (and checked against the MIB table) like those of `rules:`.
// Each group is on unless builtin_rules turns it off.

// The built-in metrics.
const (
	MetricInterfaceUp        = "snmptrap_interface_up"
	MetricInterfaceInfo      = "snmptrap_interface_info"
	MetricDeviceRestarts     = "snmptrap_device_restarts_total"
	MetricDeviceLastRestart  = "snmptrap_device_last_restart_timestamp_seconds"
	MetricAlarmActive        = config.DefaultStateMetric
	labelIfIndex             = "ifIndex"
	synopticsOperStateObject = "S5-CHASSIS-MIB::s5ChasComOperState"
)

// ifIndexSource finds the interface of an IF-MIB trap: the value of the
// ifIndex varbind (Cisco's v1 linkDown carries it), else the index of the
// status or name varbinds (RFC 2863 linkDown/linkUp carry ifAdminStatus
// and ifOperStatus).
var ifIndexSource = config.LabelSource{
	ValueOf: config.Objects{"IF-MIB::ifIndex"},
	IndexOf: config.Objects{"IF-MIB::ifOperStatus", "IF-MIB::ifAdminStatus", "IF-MIB::ifDescr", "IF-MIB::ifName"},
}

// synopticsComponent is the chassis component a SynOptics trap is about:
// the index of s5ChasComOperState or s5ChasComType (group.index.subindex,
// e.g. "3.1.0" for unit 1 of the board group).
var synopticsComponent = config.LabelSource{
	IndexOf: config.Objects{synopticsOperStateObject, "S5-CHASSIS-MIB::s5ChasComType"},
}

var keep = config.Duration(0)

// Builtin returns the built-in rules that b leaves on.
func Builtin(b config.BuiltinRules) []config.Rule {
	var out []config.Rule
	if config.Enabled(b.InterfaceUp) {
		out = append(out, interfaceRules()...)
	}
	if config.Enabled(b.DeviceRestarts) {
		out = append(out, restartRules()...)
	}
	if config.Enabled(b.SynOpticsChassis) {
		out = append(out, synopticsRules()...)
	}
	return out
}

func interfaceRules() []config.Rule {
	return []config.Rule{{
		// linkUp sets 1 and linkDown 0 by their type alone (Cisco's
		// linkDown carries no ifOperStatus); when ifOperStatus is there,
		// it decides: up(1) is up, anything else is down.
		Name:   "interface-up",
		Action: config.ActionState,
		Metric: MetricInterfaceUp,
		Help:   "Whether an interface is up (1) or down (0), from the last linkUp or linkDown trap: its ifOperStatus when it carries one, else its type.",
		Raise:  []string{"IF-MIB::linkUp"},
		Clear:  []string{"IF-MIB::linkDown"},
		Labels: map[string]config.LabelSource{labelIfIndex: ifIndexSource},
		StateFrom: &config.StateFrom{
			Object: "IF-MIB::ifOperStatus",
			Raise:  []string{"up"},
			Clear:  []string{"*"},
		},
	}, {
		// The names of an interface, when its linkUp/linkDown carries
		// them. ifIndex is the key: a renamed interface replaces its
		// series.
		Name:   "interface-info",
		Action: config.ActionInfo,
		Metric: MetricInterfaceInfo,
		Help:   "Names of an interface (ifDescr, ifName) as its last linkUp or linkDown trap gave them; always 1.",
		Traps:  []string{"IF-MIB::linkUp", "IF-MIB::linkDown"},
		Labels: map[string]config.LabelSource{labelIfIndex: ifIndexSource},
		InfoLabels: map[string]config.LabelSource{
			"ifDescr": {ValueOf: config.Objects{"IF-MIB::ifDescr"}},
			"ifName":  {ValueOf: config.Objects{"IF-MIB::ifName"}},
		},
		TTL: &keep,
	}}
}

func restartRules() []config.Rule {
	restarts := []string{"SNMPv2-MIB::coldStart", "SNMPv2-MIB::warmStart"}
	return []config.Rule{{
		Name:   "device-restarts",
		Action: config.ActionCount,
		Metric: MetricDeviceRestarts,
		Help:   "Restarts of a device: coldStart and warmStart traps received.",
		Traps:  restarts,
	}, {
		Name:   "device-last-restart",
		Action: config.ActionTimestamp,
		Metric: MetricDeviceLastRestart,
		Help:   "When the last coldStart or warmStart trap of a device was received (Unix seconds).",
		Traps:  restarts,
	}}
}

func synopticsRules() []config.Rule {
	resource := map[string]config.LabelSource{"resource": synopticsComponent}
	// The fan and temperature traps have no clearing twin: the same trap
	// with the component back to normal(5) clears; with any other state,
	// or none, it raises.
	clearOnNormal := &config.StateFrom{Object: synopticsOperStateObject, Raise: []string{"*"}, Clear: []string{"normal"}}
	return []config.Rule{{
		Name:     "synoptics-unit-down",
		Action:   config.ActionState,
		Alarm:    "unit_down",
		Raise:    []string{"S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"},
		Clear:    []string{"S5-CHASSIS-TRAP-MIB::s5CtrNewUnitUp"},
		Labels:   resource,
		Severity: "critical",
	}, {
		// s5CtrNewProblem reports a component's new state: warning,
		// nonFatalErr and fatalErr are problems, normal is the end of
		// one. Other states (removed, disabled, notConfig, testing,
		// resetInProg, other, notAvail, obsoleted) are no fault and no
		// recovery, and change nothing. Without the state the trap
		// raises.
		Name:   "synoptics-problem",
		Action: config.ActionState,
		Alarm:  "problem",
		Raise:  []string{"S5-CHASSIS-TRAP-MIB::s5CtrNewProblem"},
		Labels: resource,
		StateFrom: &config.StateFrom{
			Object: synopticsOperStateObject,
			Raise:  []string{"warning", "nonFatalErr", "fatalErr"},
			Clear:  []string{"normal"},
		},
		Severity: "major",
	}, {
		Name:      "synoptics-fan",
		Action:    config.ActionState,
		Alarm:     "fan",
		Raise:     []string{"S5-CHASSIS-TRAP-MIB::s5CtrFanRotationError", "S5-CHASSIS-TRAP-MIB::s5CtrFanDirectionError"},
		Labels:    resource,
		StateFrom: clearOnNormal,
		Severity:  "major",
	}, {
		Name:      "synoptics-temperature",
		Action:    config.ActionState,
		Alarm:     "temperature",
		Raise:     []string{"S5-CHASSIS-TRAP-MIB::s5CtrHighTemperatureError"},
		Labels:    resource,
		StateFrom: clearOnNormal,
		Severity:  "critical",
	}}
}
