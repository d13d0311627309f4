package websocket

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are API Gateway's WebSocket CloudWatch metrics (spec §8.4) as
// Prometheus counters labelled by API and stage.
type metrics struct {
	connects          *prometheus.CounterVec // ConnectCount
	messages          *prometheus.CounterVec // MessageCount
	integrationErrors *prometheus.CounterVec // IntegrationError
	clientErrors      *prometheus.CounterVec // ClientError
	executionErrors   *prometheus.CounterVec // ExecutionError
}

// stageCounters are one stage's counters, resolved once so the message
// path does no label lookups.
type stageCounters struct {
	connects, messages, integrationErrors, clientErrors, executionErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	labels := []string{"api", "stage"}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &metrics{
		connects:          counter("apigateway_websocket_connect_count", "$connect requests, accepted or not (ConnectCount)."),
		messages:          counter("apigateway_websocket_message_count", "Data messages from clients and @connections messages to them (MessageCount)."),
		integrationErrors: counter("apigateway_websocket_integration_error_count", "Integration responses with a non-2xx status (IntegrationError)."),
		clientErrors:      counter("apigateway_websocket_client_error_count", "Requests the gateway refused before any integration: API key, no route (ClientError)."),
		executionErrors:   counter("apigateway_websocket_execution_error_count", "Integration calls that failed or timed out (ExecutionError)."),
	}
	if reg == nil {
		return m, nil // counted, not exported
	}
	for _, vec := range []**prometheus.CounterVec{&m.connects, &m.messages, &m.integrationErrors, &m.clientErrors, &m.executionErrors} {
		if err := reg.Register(*vec); err != nil {
			// A second WebSocket API on the same registry shares the
			// collectors; its own "api" label keeps the series apart.
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					*vec = existing
					continue
				}
			}
			return nil, fmt.Errorf("websocket: registering metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) forStage(api, stage string) stageCounters {
	return stageCounters{
		connects:          m.connects.WithLabelValues(api, stage),
		messages:          m.messages.WithLabelValues(api, stage),
		integrationErrors: m.integrationErrors.WithLabelValues(api, stage),
		clientErrors:      m.clientErrors.WithLabelValues(api, stage),
		executionErrors:   m.executionErrors.WithLabelValues(api, stage),
	}
}
