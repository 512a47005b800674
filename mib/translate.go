package mib

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/snmptrap-exporter/snmptrap_exporter/snmp"
)

// Translate prints what each OID resolves to in table, for operators
// debugging a MIB (the `translate` command), and returns the exit code: 1
// when an OID is not in any loaded MIB.
func Translate(w io.Writer, table *Table, oids []string) int {
	code := 0
	for _, s := range oids {
		s = strings.TrimPrefix(s, ".")
		content, err := snmp.ParseOID(s)
		if err != nil {
			fmt.Fprintf(w, "%s: %v\n", s, err)
			code = 1
			continue
		}
		dotted, _ := snmp.AppendOID(nil, content)
		if n, ok := table.Notification(dotted); ok {
			name, _ := table.NotificationName(dotted)
			fmt.Fprintf(w, "%s = %s (notification", dotted, name)
			if n.OID != string(dotted) {
				fmt.Fprintf(w, ", defined at %s", n.OID)
			}
			if n.Source != "" {
				fmt.Fprintf(w, ", from %s", sourceText(n.Source))
			}
			fmt.Fprintln(w, ")")
			for _, o := range n.Objects {
				if obj, _, ok := table.Object([]byte(o)); ok {
					fmt.Fprintf(w, "    %s::%s (%s) %s%s\n", obj.Module, obj.Name, o, obj.Syntax, enums(obj))
				} else {
					fmt.Fprintf(w, "    %s\n", o)
				}
			}
			continue
		}
		if obj, index, ok := table.Object(dotted); ok && (index == "" || obj.HasInstances()) {
			name := obj.Module + "::" + obj.Name
			if index != "" {
				name += "." + index
			}
			fmt.Fprintf(w, "%s = %s (%s%s", dotted, name, obj.Syntax, enums(obj))
			if obj.Source != "" {
				fmt.Fprintf(w, ", from %s", sourceText(obj.Source))
			}
			fmt.Fprintln(w, ")")
			continue
		}
		if obj, _, ok := table.Object(dotted); ok {
			fmt.Fprintf(w, "%s: not in any loaded MIB (below %s::%s)\n", dotted, obj.Module, obj.Name)
		} else {
			fmt.Fprintf(w, "%s: not in any loaded MIB\n", dotted)
		}
		code = 1
	}
	return code
}

func enums(o *Object) string {
	if len(o.Enums) == 0 {
		return ""
	}
	values := slices.Sorted(maps.Keys(o.Enums))
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%s(%d)", o.Enums[v], v)
	}
	return " {" + strings.Join(parts, ", ") + "}"
}

// sourceText names a definition's source for people.
func sourceText(s string) string {
	switch s {
	case SourceBuiltin:
		return "the built-in IETF and SynOptics table"
	case SourceVendor:
		return "the vendor table"
	case SourceMIBDir:
		return "--mib.dir"
	}
	return s
}
