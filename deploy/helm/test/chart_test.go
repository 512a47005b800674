package charttest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// helmModule is the Helm the tests run, built from the Go module proxy
// once per test run (about 10 s with a warm build cache; go run for each
// call would link it again in every parallel test). $HELM names another
// binary instead.
const helmModule = "helm.sh/helm/v4/cmd/helm@v4.3.2"

// allValues turns every switch of the chart on.
const allValues = ChartDir + "/ci/all-values.yaml"

// binDir holds the Helm binary built for this run; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// helmBinary returns the Helm to run, building it on first use.
var helmBinary = sync.OnceValues(func() (string, error) {
	if h := os.Getenv("HELM"); h != "" {
		return h, nil
	}
	dir, err := os.MkdirTemp("", "charttest-helm-")
	if err != nil {
		return "", err
	}
	binDir = dir
	cmd := exec.Command("go", "install", helmModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", helmModule, err, out)
	}
	return filepath.Join(dir, "helm"), nil
})

// helm runs Helm with args and returns its standard output.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := helmBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// objects is a rendered chart, decoded.
type objects struct {
	statefulSets    []*appsv1.StatefulSet
	services        map[string]*corev1.Service
	configMaps      []*corev1.ConfigMap
	secrets         []*corev1.Secret
	serviceAccounts []*corev1.ServiceAccount
	serviceMonitors []*monitoringv1.ServiceMonitor
	prometheusRules []*monitoringv1.PrometheusRule
	// docs are the rendered documents as text, by kind.
	docs map[string][]string
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// render runs `helm template` with the given extra arguments and decodes
// every object strictly: a field the API type does not have, or a kind the
// test does not know, fails the test.
func render(t *testing.T, args ...string) *objects {
	t.Helper()
	out, err := helm(t, append([]string{"template", "rel", ChartDir, "--namespace", "snmp"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	o := &objects{services: map[string]*corev1.Service{}, docs: map[string][]string{}}
	for _, doc := range docSeparator.Split(out, -1) {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := sigsyaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
		}
		if meta.Kind == "" {
			if strings.TrimSpace(stripComments(doc)) != "" {
				t.Fatalf("rendered document without a kind:\n%s", doc)
			}
			continue
		}
		o.docs[meta.Kind] = append(o.docs[meta.Kind], doc)
		gvk := meta.APIVersion + " " + meta.Kind
		var obj any
		switch gvk {
		case "apps/v1 StatefulSet":
			v := &appsv1.StatefulSet{}
			o.statefulSets, obj = append(o.statefulSets, v), v
		case "v1 Service":
			obj = &corev1.Service{}
		case "v1 ConfigMap":
			v := &corev1.ConfigMap{}
			o.configMaps, obj = append(o.configMaps, v), v
		case "v1 Secret":
			v := &corev1.Secret{}
			o.secrets, obj = append(o.secrets, v), v
		case "v1 ServiceAccount":
			v := &corev1.ServiceAccount{}
			o.serviceAccounts, obj = append(o.serviceAccounts, v), v
		case "monitoring.coreos.com/v1 ServiceMonitor":
			v := &monitoringv1.ServiceMonitor{}
			o.serviceMonitors, obj = append(o.serviceMonitors, v), v
		case "monitoring.coreos.com/v1 PrometheusRule":
			v := &monitoringv1.PrometheusRule{}
			o.prometheusRules, obj = append(o.prometheusRules, v), v
		default:
			t.Fatalf("rendered an object the test does not know: %s", gvk)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s does not decode strictly: %v\n%s", gvk, err, doc)
		}
		if svc, ok := obj.(*corev1.Service); ok {
			o.services[svc.Name] = svc
		}
	}
	return o
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// cases are the value sets every structural test runs on.
var cases = []struct {
	name string
	args []string
}{
	{"defaults", nil},
	{"all", []string{"-f", allValues}},
}

func TestLint(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := helm(t, append([]string{"lint", "--strict", ChartDir}, c.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm lint:\n%s", out)
			}
		})
	}
}

func TestRender(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := render(t, c.args...)
			checkStatefulSet(t, o)
			checkServices(t, o)
			if c.name == "all" {
				if len(o.serviceMonitors) != 1 || len(o.prometheusRules) != 1 || len(o.configMaps) != 1 || len(o.secrets) != 1 {
					t.Errorf("all switches on: %d ServiceMonitors, %d PrometheusRules, %d ConfigMaps, %d Secrets; want one of each",
						len(o.serviceMonitors), len(o.prometheusRules), len(o.configMaps), len(o.secrets))
				}
				checkServiceMonitor(t, o)
			} else if len(o.serviceMonitors)+len(o.prometheusRules)+len(o.configMaps)+len(o.secrets) != 0 {
				t.Errorf("defaults render a ServiceMonitor, PrometheusRule, ConfigMap or Secret: %v", slices.Sorted(maps.Keys(o.docs)))
			}
			if len(o.serviceAccounts) != 1 {
				t.Errorf("%d ServiceAccounts, want 1", len(o.serviceAccounts))
			}
		})
	}
}

func exporterContainer(t *testing.T, o *objects) (*appsv1.StatefulSet, *corev1.Container) {
	t.Helper()
	if len(o.statefulSets) != 1 {
		t.Fatalf("%d StatefulSets, want 1", len(o.statefulSets))
	}
	s := o.statefulSets[0]
	for i := range s.Spec.Template.Spec.Containers {
		if c := &s.Spec.Template.Spec.Containers[i]; c.Name == "snmptrap-exporter" {
			return s, c
		}
	}
	t.Fatal("no container snmptrap-exporter")
	return nil, nil
}

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func checkStatefulSet(t *testing.T, o *objects) {
	s, c := exporterContainer(t, o)
	pod := s.Spec.Template.Spec

	// The storage volume is mounted where --storage.path points, and it is
	// the claim template's (one volume per replica).
	storagePath, ok := flagValue(c.Args, "storage.path")
	if !ok {
		t.Fatalf("no --storage.path in %q", c.Args)
	}
	var mounted bool
	for _, m := range c.VolumeMounts {
		if m.MountPath == storagePath {
			mounted = m.Name == "storage" && !m.ReadOnly
		}
	}
	if !mounted {
		t.Errorf("--storage.path=%s is not the writable storage volume's mount: %+v", storagePath, c.VolumeMounts)
	}
	if len(s.Spec.VolumeClaimTemplates) != 1 || s.Spec.VolumeClaimTemplates[0].Name != "storage" {
		t.Errorf("volumeClaimTemplates: %+v, want one named storage", s.Spec.VolumeClaimTemplates)
	}
	for _, v := range pod.Volumes {
		if v.Name == "storage" {
			t.Errorf("pod volume storage shadows the claim template: %+v", v)
		}
	}

	// Listeners and ports.
	var listen []string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--trap.listen-address="); ok {
			listen = append(listen, v)
		}
	}
	if want := []string{"udp://:162", "udp://:412", "tcp://:412"}; !slices.Equal(listen, want) {
		t.Errorf("--trap.listen-address %q, want %q", listen, want)
	}
	if v, _ := flagValue(c.Args, "web.listen-address"); v != ":9412" {
		t.Errorf("--web.listen-address=%q, want :9412", v)
	}
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, fmt.Sprintf("%s %d/%s", p.Name, p.ContainerPort, p.Protocol))
	}
	if want := []string{"trap-udp 162/UDP", "trapconv-udp 412/UDP", "trapconv-tcp 412/TCP", "http 9412/TCP"}; !slices.Equal(ports, want) {
		t.Errorf("container ports %q, want %q", ports, want)
	}

	// Probes.
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", c.LivenessProbe, "/-/healthy"},
		{"readiness", c.ReadinessProbe, "/-/ready"},
		{"startup", c.StartupProbe, "/-/healthy"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: %+v, want an HTTP GET", p.name, p.probe)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe GET %s on %s, want %s on http", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
	}

	// Security: non-root, only NET_BIND_SERVICE, read-only root, no
	// privilege escalation, RuntimeDefault seccomp; for the init container too.
	containers := append([]corev1.Container{*c}, pod.InitContainers...)
	for _, c := range containers {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: no securityContext", c.Name)
			continue
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
			!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_BIND_SERVICE"}) {
			t.Errorf("%s: capabilities %+v, want drop [ALL] add [NET_BIND_SERVICE]", c.Name, sc.Capabilities)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: readOnlyRootFilesystem not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: allowPrivilegeEscalation not false", c.Name)
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot not true", c.Name)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile %+v, want RuntimeDefault", c.Name, sc.SeccompProfile)
		}
		if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s: no memory request or limit: %+v", c.Name, c.Resources)
		}
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if psc != nil && !slices.Contains(psc.Sysctls, corev1.Sysctl{Name: "net.ipv4.ip_unprivileged_port_start", Value: "0"}) {
		t.Errorf("pod sysctls %+v: without ip_unprivileged_port_start=0 a non-root process under no_new_privs cannot bind 162", psc.Sysctls)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token; the exporter does not use the API")
	}
	if s.Spec.ServiceName == "" || o.services[s.Spec.ServiceName] == nil || o.services[s.Spec.ServiceName].Spec.ClusterIP != "None" {
		t.Errorf("serviceName %q is not a rendered headless Service", s.Spec.ServiceName)
	}
}

func checkServices(t *testing.T, o *objects) {
	trap := o.services["rel-snmptrap-exporter-trap"]
	web := o.services["rel-snmptrap-exporter"]
	if trap == nil || web == nil || len(o.services) != 3 {
		t.Fatalf("services %v, want rel-snmptrap-exporter-trap, rel-snmptrap-exporter and the headless one", slices.Sorted(maps.Keys(o.services)))
	}
	if trap.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("trap Service type %s, want LoadBalancer", trap.Spec.Type)
	}
	if trap.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
		t.Errorf("trap Service externalTrafficPolicy %q, want Local (the source address names the device)", trap.Spec.ExternalTrafficPolicy)
	}
	if trap.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		t.Errorf("trap Service sessionAffinity %q, want ClientIP (a device's state lives in one replica)", trap.Spec.SessionAffinity)
	}
	var ports []string
	for _, p := range trap.Spec.Ports {
		ports = append(ports, fmt.Sprintf("%d/%s->%s", p.Port, p.Protocol, p.TargetPort.String()))
	}
	if want := []string{"162/UDP->trap-udp", "412/UDP->trapconv-udp", "412/TCP->trapconv-tcp"}; !slices.Equal(ports, want) {
		t.Errorf("trap Service ports %q, want %q", ports, want)
	}
	if web.Spec.Type != corev1.ServiceTypeClusterIP || len(web.Spec.Ports) != 1 || web.Spec.Ports[0].Port != 9412 || web.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("web Service %s %+v, want ClusterIP 9412 -> http", web.Spec.Type, web.Spec.Ports)
	}
}

func checkServiceMonitor(t *testing.T, o *objects) {
	if len(o.serviceMonitors) != 1 {
		return
	}
	sm := o.serviceMonitors[0]
	// It must select the web Service and only it: the trap and headless
	// Services carry the same pod selector labels.
	var selected []string
	for name, svc := range o.services {
		match := true
		for k, v := range sm.Spec.Selector.MatchLabels {
			if svc.Labels[k] != v {
				match = false
			}
		}
		if match {
			selected = append(selected, name)
		}
	}
	if !slices.Equal(selected, []string{"rel-snmptrap-exporter"}) {
		t.Errorf("the ServiceMonitor selects %q, want only the web Service", selected)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want port http, /metrics", sm.Spec.Endpoints)
	}
	if sm.Namespace != "monitoring" || !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{"snmp"}) {
		t.Errorf("ServiceMonitor in %q selecting namespaces %q, want monitoring selecting snmp", sm.Namespace, sm.Spec.NamespaceSelector.MatchNames)
	}
}

// TestRulesCopyUpToDate fails when files/snmptrap.rules.yml is not what the
// generator makes from alerts/snmptrap.rules.yml.
func TestRulesCopyUpToDate(t *testing.T) {
	alerts, err := os.ReadFile(AlertsFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(ChartRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ChartRules(alerts)) {
		t.Fatalf("%s differs from %s: run (cd deploy/helm/test && go generate ./...)", ChartRulesFile, AlertsFile)
	}
}

// TestPrometheusRuleMatchesAlerts compares the rendered PrometheusRule with
// alerts/snmptrap.rules.yml itself: the same groups and rules, and every
// annotation, label and expression the same string byte for byte, so the
// {{ $labels.x }} templates survived Helm's rendering.
func TestPrometheusRuleMatchesAlerts(t *testing.T) {
	alerts, err := os.ReadFile(AlertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := sigsyaml.UnmarshalStrict(alerts, &want); err != nil {
		t.Fatalf("%s: %v", AlertsFile, err)
	}
	o := render(t, "--set", "prometheusRule.enabled=true")
	if len(o.prometheusRules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(o.prometheusRules))
	}
	got := o.prometheusRules[0].Spec.Groups
	if len(got) != len(want.Groups) {
		t.Fatalf("%d groups, want %d", len(got), len(want.Groups))
	}
	var templated int
	for i, wg := range want.Groups {
		gg := got[i]
		if gg.Name != wg.Name || len(gg.Rules) != len(wg.Rules) {
			t.Errorf("group %d: %q with %d rules, want %q with %d", i, gg.Name, len(gg.Rules), wg.Name, len(wg.Rules))
			continue
		}
		for j, wr := range wg.Rules {
			gr := gg.Rules[j]
			where := fmt.Sprintf("%s/%s", wg.Name, wr.Alert)
			for k, v := range wr.Annotations {
				if gr.Annotations[k] != v {
					t.Errorf("%s annotation %s:\n got %q\nwant %q", where, k, gr.Annotations[k], v)
				}
				if strings.Contains(v, "{{") {
					templated++
				}
			}
			if !reflect.DeepEqual(gr, wr) {
				t.Errorf("%s:\n got %+v\nwant %+v", where, gr, wr)
			}
		}
	}
	if templated == 0 {
		t.Error("no annotation of the alerts file holds a {{ }} template: the test proves nothing")
	}
}

// TestNoSecretOutsideSecret renders the chart with communities and v3
// passwords and looks for each, as text and base64, in every object but the
// Secret: a ConfigMap (or a pod annotation, an argument) must never carry one.
func TestNoSecretOutsideSecret(t *testing.T) {
	values, err := os.ReadFile(allValues)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Auth struct {
			Communities []string `json:"communities"`
			Users       []struct {
				Password     string `json:"password"`
				PrivPassword string `json:"priv_password"`
			} `json:"users"`
		} `json:"auth"`
	}
	if err := sigsyaml.Unmarshal(values, &v); err != nil {
		t.Fatal(err)
	}
	secrets := slices.Clone(v.Auth.Communities)
	for _, u := range v.Auth.Users {
		secrets = append(secrets, u.Password, u.PrivPassword)
	}
	if len(secrets) < 3 {
		t.Fatalf("%s has too few secrets to test with: %q", allValues, secrets)
	}
	o := render(t, "-f", allValues)
	for kind, docs := range o.docs {
		if kind == "Secret" {
			continue
		}
		for _, doc := range docs {
			for _, s := range secrets {
				if strings.Contains(doc, s) || strings.Contains(doc, base64.StdEncoding.EncodeToString([]byte(s))) {
					t.Errorf("the secret %q appears in a %s", s, kind)
				}
			}
		}
	}
	if len(o.configMaps) != 1 || len(o.secrets) != 1 {
		t.Fatalf("%d ConfigMaps and %d Secrets, want one of each", len(o.configMaps), len(o.secrets))
	}
	if strings.Contains(o.configMaps[0].Data["config.yml"], "auth") {
		t.Errorf("the ConfigMap's file has an auth section:\n%s", o.configMaps[0].Data["config.yml"])
	}
	auth := string(o.secrets[0].Data["auth.yml"])
	for _, s := range secrets {
		if !strings.Contains(auth, s) {
			t.Errorf("the Secret's auth.yml lacks %q", s)
		}
	}
}

// TestExporterAcceptsRenderedConfig builds the exporter, joins the
// ConfigMap's and the Secret's files as the init container does, and runs
// the exporter with the container's own arguments plus --config.check: the
// flags exist, and the file is a configuration the exporter takes.
func TestExporterAcceptsRenderedConfig(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "snmptrap_exporter")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the exporter: %v\n%s", err, out)
	}
	o := render(t, "-f", allValues, "--set", "extraArgs=null")
	s, c := exporterContainer(t, o)
	if len(s.Spec.Template.Spec.InitContainers) != 1 {
		t.Fatalf("%d init containers, want the one joining config and auth", len(s.Spec.Template.Spec.InitContainers))
	}
	joinCmd := strings.Join(s.Spec.Template.Spec.InitContainers[0].Command, " ")
	for _, f := range []string{"/etc/snmptrap_exporter/config/config.yml", "/etc/snmptrap_exporter/auth/auth.yml", "> /run/snmptrap_exporter/config.yml"} {
		if !strings.Contains(joinCmd, f) {
			t.Errorf("the init container's command %q lacks %q", joinCmd, f)
		}
	}
	joined := o.configMaps[0].Data["config.yml"] + string(o.secrets[0].Data["auth.yml"])
	if err := sigsyaml.UnmarshalStrict([]byte(joined), &map[string]any{}); err != nil {
		t.Fatalf("the joined file is not one YAML document: %v\n%s", err, joined)
	}
	file := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(file, []byte(joined), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := flagValue(c.Args, "config.file")
	if cfg != "/run/snmptrap_exporter/config.yml" {
		t.Errorf("--config.file=%q, want the joined file", cfg)
	}
	var args []string
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--config.file=") {
			a = "--config.file=" + file
		}
		args = append(args, a)
	}
	run := exec.Command(bin, append(args, "--config.check")...)
	run.Dir = dir
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", bin, args, err, out)
	}
}

// TestConfigVariants covers the other ways to configure: config alone (no
// Secret, no init container), an existing Secret, and the mistakes the
// chart refuses.
func TestConfigVariants(t *testing.T) {
	t.Parallel()
	t.Run("config only", func(t *testing.T) {
		t.Parallel()
		o := render(t, "--set", "config.relays[0]=10.0.9.9")
		_, c := exporterContainer(t, o)
		if len(o.secrets) != 0 || len(o.configMaps) != 1 || len(o.statefulSets[0].Spec.Template.Spec.InitContainers) != 0 {
			t.Errorf("%d Secrets, %d ConfigMaps, %d init containers; want 0, 1, 0", len(o.secrets), len(o.configMaps), len(o.statefulSets[0].Spec.Template.Spec.InitContainers))
		}
		if v, _ := flagValue(c.Args, "config.file"); v != "/etc/snmptrap_exporter/config/config.yml" {
			t.Errorf("--config.file=%q", v)
		}
	})
	t.Run("existing secret", func(t *testing.T) {
		t.Parallel()
		o := render(t, "--set", "existingSecret.name=my-config", "--set", "existingSecret.key=snmptrap.yml")
		s, c := exporterContainer(t, o)
		if len(o.secrets)+len(o.configMaps) != 0 {
			t.Errorf("an existing Secret and still %d Secrets and %d ConfigMaps rendered", len(o.secrets), len(o.configMaps))
		}
		if v, _ := flagValue(c.Args, "config.file"); v != "/etc/snmptrap_exporter/secret/snmptrap.yml" {
			t.Errorf("--config.file=%q", v)
		}
		var found bool
		for _, v := range s.Spec.Template.Spec.Volumes {
			found = found || (v.Secret != nil && v.Secret.SecretName == "my-config" && len(v.Secret.Items) == 1 && v.Secret.Items[0].Key == "snmptrap.yml")
		}
		if !found {
			t.Errorf("no volume of the Secret my-config: %+v", s.Spec.Template.Spec.Volumes)
		}
	})
	t.Run("no persistence", func(t *testing.T) {
		t.Parallel()
		o := render(t, "--set", "persistence.enabled=false")
		s, _ := exporterContainer(t, o)
		if len(s.Spec.VolumeClaimTemplates) != 0 {
			t.Error("volumeClaimTemplates without persistence")
		}
		if !slices.ContainsFunc(s.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "storage" && v.EmptyDir != nil }) {
			t.Error("no emptyDir storage volume without persistence")
		}
	})
	for _, bad := range []struct {
		name, want string
		args       []string
	}{
		{"auth under config", "put the auth section under the top-level `auth:` value", []string{"--set", "config.auth.communities[0]=x"}},
		{"existing secret and auth", "leave config and auth empty", []string{"--set", "existingSecret.name=s", "--set", "auth.communities[0]=x"}},
	} {
		t.Run(bad.name, func(t *testing.T) {
			t.Parallel()
			_, err := helm(t, append([]string{"template", "rel", ChartDir}, bad.args...)...)
			if err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("helm template %q: %v, want an error saying %q", bad.args, err, bad.want)
			}
		})
	}
}

// TestValuesDocumented fails for a key of values.yaml without a comment
// (above it or on its line), keys inside lists excepted.
func TestValuesDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ChartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := strings.TrimPrefix(path+"."+k.Value, ".")
			if k.HeadComment == "" && k.LineComment == "" {
				t.Errorf("values.yaml line %d: %s has no comment", k.Line, p)
			}
			walk(v, p)
		}
	}
	walk(doc.Content[0], "")
}

// TestAppVersion fails when Chart.yaml's appVersion, the default image tag,
// is not the repository's VERSION.
func TestAppVersion(t *testing.T) {
	version, err := os.ReadFile("../../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	chart, err := os.ReadFile(filepath.Join(ChartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		APIVersion string `json:"apiVersion"`
		AppVersion string `json:"appVersion"`
	}
	if err := sigsyaml.Unmarshal(chart, &c); err != nil {
		t.Fatal(err)
	}
	if c.APIVersion != "v2" {
		t.Errorf("Chart.yaml apiVersion %q, want v2", c.APIVersion)
	}
	if want := strings.TrimSpace(string(version)); c.AppVersion != want {
		t.Errorf("Chart.yaml appVersion %q, want %q from VERSION: update it (and bump the chart's version)", c.AppVersion, want)
	}
}
