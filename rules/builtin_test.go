package rules

import (
	"testing"

	"github.com/snmptrap-exporter/snmptrap_exporter/config"
	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

const (
	ifDown = `snmptrap_interface_up{device="sw1",ifIndex="3"} set 0`
	ifUp   = `snmptrap_interface_up{device="sw1",ifIndex="3"} set 1`
)

func TestInterfaceRFC2863(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	// RFC 2863: ifIndex, ifAdminStatus, ifOperStatus, all with index 3.
	s.Apply(trap(t, "IF-MIB::linkDown",
		vbInt(t, "IF-MIB::ifIndex", 3, 3),
		vbInt(t, "IF-MIB::ifAdminStatus", 1, 3),
		vbInt(t, "IF-MIB::ifOperStatus", 2, 3)), rec)
	check(t, "linkDown", rec.take(), ifDown)
	s.Apply(trap(t, "IF-MIB::linkUp",
		vbInt(t, "IF-MIB::ifIndex", 3, 3),
		vbInt(t, "IF-MIB::ifAdminStatus", 1, 3),
		vbInt(t, "IF-MIB::ifOperStatus", 1, 3)), rec)
	check(t, "linkUp", rec.take(), ifUp)
}

func TestInterfaceIndexFromStatusVarbinds(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	// No ifIndex varbind (net-snmp's snmptrap sends what it is given):
	// the index of ifOperStatus names the interface.
	s.Apply(trap(t, "IF-MIB::linkDown",
		vbInt(t, "IF-MIB::ifAdminStatus", 1, 7),
		vbInt(t, "IF-MIB::ifOperStatus", 2, 7)), rec)
	check(t, "linkDown", rec.take(), `snmptrap_interface_up{device="sw1",ifIndex="7"} set 0`)
}

// Cisco's v1 linkDown (converted to the v2 OID by the pipeline) carries
// ifIndex, ifDescr, ifType and locIfReason and no status: the trap type
// decides, and ifDescr makes an info series.
func TestInterfaceCiscoLinkDownWithoutStatus(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	locIfReason := snmp.Varbind{OID: snmp.MustParseOID("1.3.6.1.4.1.9.2.2.1.1.20.3"), Type: snmp.TagOctetString, Value: []byte("administratively down")}
	s.Apply(trap(t, "IF-MIB::linkDown",
		vbInt(t, "IF-MIB::ifIndex", 3, 3),
		vbStr(t, "IF-MIB::ifDescr", "GigabitEthernet0/3", 3),
		vbInt(t, "IF-MIB::ifType", 6, 3),
		locIfReason), rec)
	check(t, "Cisco linkDown", rec.take(),
		ifDown,
		`snmptrap_interface_info{device="sw1",ifIndex="3",ifDescr="GigabitEthernet0/3",ifName=""} set 1`)
	s.Apply(trap(t, "IF-MIB::linkUp",
		vbInt(t, "IF-MIB::ifIndex", 3, 3),
		vbStr(t, "IF-MIB::ifDescr", "GigabitEthernet0/3\x00", 3),
		vbStr(t, "IF-MIB::ifName", "Gi0/3", 3),
		vbInt(t, "IF-MIB::ifType", 6, 3)), rec)
	check(t, "Cisco linkUp", rec.take(),
		ifUp,
		`snmptrap_interface_info{device="sw1",ifIndex="3",ifDescr="GigabitEthernet0/3",ifName="Gi0/3"} set 1`)
}

func TestInterfaceOperStatusWins(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	for _, tc := range []struct {
		trap string
		oper int64
		want string
	}{
		{"IF-MIB::linkDown", 1, ifUp},   // up(1), whatever the trap says
		{"IF-MIB::linkUp", 2, ifDown},   // down(2)
		{"IF-MIB::linkUp", 5, ifDown},   // dormant(5)
		{"IF-MIB::linkUp", 7, ifDown},   // lowerLayerDown(7)
		{"IF-MIB::linkUp", 99, ifDown},  // not in the enumeration: not up
		{"IF-MIB::linkDown", 3, ifDown}, // testing(3)
	} {
		s.Apply(trap(t, tc.trap, vbInt(t, "IF-MIB::ifIndex", 3, 3), vbInt(t, "IF-MIB::ifOperStatus", tc.oper, 3)), rec)
		check(t, tc.trap, rec.take(), tc.want)
	}
}

func TestInterfaceMissingKeyStillChanges(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	s.Apply(trap(t, "IF-MIB::linkDown"), rec)
	check(t, "bare linkDown", rec.take(), `snmptrap_interface_up{device="sw1",ifIndex=""} set 0`)
}

func TestDeviceRestarts(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	for _, name := range []string{"SNMPv2-MIB::coldStart", "SNMPv2-MIB::warmStart"} {
		s.Apply(trap(t, name), rec)
		// and nothing else: a restart clears no interface or alarm state
		check(t, name, rec.take(),
			`snmptrap_device_restarts_total{device="sw1"} add 1`,
			`snmptrap_device_last_restart_timestamp_seconds{device="sw1"} set 1.7840304e+09`)
	}
	if got := float64(at.Unix()); got != 1.7840304e+09 {
		t.Fatalf("the test's time is %g", got)
	}
}

func unitDown(res string) string {
	return `snmptrap_alarm_active{device="sw1",alarm="unit_down",resource="` + res + `",severity="critical"} set 1`
}

func TestSynOpticsUnitDownUp(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	// s5ChasComType.3.1.0 and s5ChasComOperState.3.1.0: board group 3, unit 1.
	vbs := func(state int64) []snmp.Varbind {
		return []snmp.Varbind{
			vbOID(t, "S5-CHASSIS-MIB::s5ChasComType", "1.3.6.1.4.1.45.3.35.1", 3, 1, 0),
			vbInt(t, "S5-CHASSIS-MIB::s5ChasComOperState", state, 3, 1, 0),
		}
	}
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown", vbs(3)...), rec)
	check(t, "unit down", rec.take(), unitDown("3.1.0"))
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitUp", vbs(5)...), rec)
	check(t, "unit up", rec.take(), `snmptrap_alarm_active{device="sw1",alarm="unit_down",resource="3.1.0",severity="critical"} set 0`)

	// The legacy OID ({ s5ChaTrap 4 }, a v1 trap with specific-trap 4
	// under the badly converted MIB) is the same trap.
	legacy := trap(t, "1.3.6.1.4.1.45.1.6.2.4.4", vbs(3)...)
	s.Apply(legacy, rec)
	check(t, "legacy unit down", rec.take(), unitDown("3.1.0"))

	// Only the type varbind: its index names the unit.
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown", vbOID(t, "S5-CHASSIS-MIB::s5ChasComType", "1.3.6.1.4.1.45.3.35.1", 3, 2, 0)), rec)
	check(t, "unit down, type only", rec.take(), unitDown("3.2.0"))

	// No varbinds: raised all the same, with resource="".
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"), rec)
	check(t, "unit down without varbinds", rec.take(), unitDown(""))
}

func TestSynOpticsProblemByOperState(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	const problem = `snmptrap_alarm_active{device="sw1",alarm="problem",resource="2.1.0",severity="major"} set `
	for _, tc := range []struct {
		state int64
		want  []string
	}{
		{8, []string{problem + "1"}},  // warning
		{9, []string{problem + "1"}},  // nonFatalErr
		{10, []string{problem + "1"}}, // fatalErr
		{5, []string{problem + "0"}},  // normal
		{3, nil},                      // removed: no fault, no recovery
		{4, nil},                      // disabled
		{6, nil},                      // resetInProg
		{1, nil},                      // other
	} {
		s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewProblem", vbInt(t, "S5-CHASSIS-MIB::s5ChasComOperState", tc.state, 2, 1, 0)), rec)
		check(t, "s5CtrNewProblem", rec.take(), tc.want...)
	}
	// Without the state, the trap raises.
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewProblem", vbOID(t, "S5-CHASSIS-MIB::s5ChasComType", "1.3.6.1.4.1.45.3.1", 2, 1, 0)), rec)
	check(t, "s5CtrNewProblem without state", rec.take(), problem+"1")
}

func TestSynOpticsFanAndTemperature(t *testing.T) {
	s := mustCompile(t, nil, config.BuiltinRules{})
	rec := &recorder{}
	const (
		fan  = `snmptrap_alarm_active{device="sw1",alarm="fan",resource="5.1.0",severity="major"} set `
		temp = `snmptrap_alarm_active{device="sw1",alarm="temperature",resource="8.1.0",severity="critical"} set `
	)
	state := func(v int64, idx ...uint32) snmp.Varbind {
		return vbInt(t, "S5-CHASSIS-MIB::s5ChasComOperState", v, idx...)
	}
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrFanRotationError", state(10, 5, 1, 0)), rec)
	check(t, "fan rotation error", rec.take(), fan+"1")
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrFanRotationError", state(5, 5, 1, 0)), rec)
	check(t, "fan back to normal", rec.take(), fan+"0")
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrFanDirectionError", state(8, 5, 1, 0)), rec)
	check(t, "fan direction error", rec.take(), fan+"1")
	s.Apply(trap(t, "1.3.6.1.4.1.45.1.6.2.4.7", state(9, 8, 1, 0)), rec) // legacy form
	check(t, "high temperature", rec.take(), temp+"1")
	s.Apply(trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrHighTemperatureError", state(5, 8, 1, 0)), rec)
	check(t, "temperature normal", rec.take(), temp+"0")
	// A restart clears nothing.
	s.Apply(trap(t, "SNMPv2-MIB::coldStart"), rec)
	for _, u := range rec.take() {
		if u[:len("snmptrap_device_")] != "snmptrap_device_" {
			t.Errorf("coldStart updated %s", u)
		}
	}
}

func TestBuiltinsOff(t *testing.T) {
	rec := &recorder{}
	all := []*Trap{
		trap(t, "IF-MIB::linkDown", vbInt(t, "IF-MIB::ifIndex", 3, 3), vbStr(t, "IF-MIB::ifDescr", "eth0", 3)),
		trap(t, "SNMPv2-MIB::coldStart"),
		trap(t, "S5-CHASSIS-TRAP-MIB::s5CtrNewUnitDown"),
	}
	for _, tc := range []struct {
		b        config.BuiltinRules
		families []string
		updates  int
	}{
		{config.BuiltinRules{}, []string{MetricInterfaceUp, MetricInterfaceInfo, MetricDeviceRestarts, MetricDeviceLastRestart, MetricAlarmActive}, 5},
		{config.BuiltinRules{InterfaceUp: off()}, []string{MetricDeviceRestarts, MetricDeviceLastRestart, MetricAlarmActive}, 3},
		{config.BuiltinRules{DeviceRestarts: off()}, []string{MetricInterfaceUp, MetricInterfaceInfo, MetricAlarmActive}, 3},
		{config.BuiltinRules{SynOpticsChassis: off()}, []string{MetricInterfaceUp, MetricInterfaceInfo, MetricDeviceRestarts, MetricDeviceLastRestart}, 4},
		{config.BuiltinRules{InterfaceUp: off(), DeviceRestarts: off(), SynOpticsChassis: off()}, nil, 0},
	} {
		s := mustCompile(t, nil, tc.b)
		var names []string
		for _, f := range s.Families() {
			names = append(names, f.Name)
		}
		check(t, "families", names, tc.families...)
		for _, tr := range all {
			s.Apply(tr, rec)
		}
		if got := rec.take(); len(got) != tc.updates {
			t.Errorf("%+v: %d updates, want %d: %q", tc.b, len(got), tc.updates, got)
		}
	}
}

// Every built-in rule passes the same checks as a rule of the file.
func TestBuiltinRulesValidate(t *testing.T) {
	for i, r := range Builtin(config.BuiltinRules{}) {
		if err := r.Validate(i); err != nil {
			t.Error(err)
		}
	}
}
