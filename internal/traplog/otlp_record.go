package traplog

import (
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// ServiceName is the resource's service.name.
const ServiceName = "snmptrap_exporter"

// scopeName is the instrumentation scope of the log records: this package.
const scopeName = "github.com/snmptrap-exporter/snmptrap_exporter/internal/traplog"

// resourceLogs are the resource and scope every request carries.
type resourceLogs struct {
	resource *resourcepb.Resource
	scope    *commonpb.InstrumentationScope
}

func newResourceLogs(instanceID, hostName, version string) resourceLogs {
	var attrs []*commonpb.KeyValue
	for _, a := range []struct{ k, v string }{{"service.name", ServiceName}, {"service.instance.id", instanceID}, {"service.version", version}, {"host.name", hostName}} {
		if a.v != "" {
			attrs = append(attrs, &commonpb.KeyValue{Key: a.k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: a.v}}})
		}
	}
	return resourceLogs{
		resource: &resourcepb.Resource{Attributes: attrs},
		scope:    &commonpb.InstrumentationScope{Name: scopeName, Version: version},
	}
}
