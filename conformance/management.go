package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/gatecheck/gatecheck/redact"
)

// NeedMetrics marks a check that reads the gateway's metrics (target.metricsURL).
const NeedMetrics = "metrics"

// NeedManagement marks a check that sends control actions (reset a quota,
// flush a cache, move canary traffic) through the API Gateway SDK client.
const NeedManagement = "management"

type awsClients struct {
	once   sync.Once
	cfg    aws.Config
	err    error
	client *apigateway.Client
}

// AWSConfig returns the SDK configuration for the profile's credentials:
// static keys (emulators) or the standard AWS chain.
func (t *Target) AWSConfig(ctx context.Context) (aws.Config, error) {
	t.aws.once.Do(func() {
		tg := t.Profile.Target
		switch tg.Credentials {
		case "static":
			t.aws.cfg = aws.Config{Region: tg.Region, Credentials: credentials.NewStaticCredentialsProvider(tg.AccessKeyID, tg.SecretAccessKey, ""), HTTPClient: t.HTTP}
		case "aws-default-chain":
			t.aws.cfg, t.aws.err = config.LoadDefaultConfig(ctx, config.WithRegion(tg.Region), config.WithHTTPClient(t.HTTP))
		default:
			t.aws.err = fmt.Errorf("profile %q has no credentials for signed requests (target.credentials)", t.Profile.Name)
		}
		if t.aws.err == nil {
			if t.aws.cfg.Credentials != nil {
				t.aws.cfg.Credentials = registeringProvider{t.aws.cfg.Credentials}
			}
			t.aws.client = apigateway.NewFromConfig(t.aws.cfg, func(o *apigateway.Options) {
				if tg.ManagementURL != "" {
					o.BaseEndpoint = aws.String(tg.ManagementURL)
				}
			})
		}
	})
	return t.aws.cfg, t.aws.err
}

// registeringProvider registers the secret key and session token of every
// credential it hands out for redaction: a signed call that fails may echo
// the token (AWS's InvalidSignatureException quotes the canonical
// request), and credentials from the default chain can be refreshed
// during a run.
type registeringProvider struct{ aws.CredentialsProvider }

func (p registeringProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err == nil {
		redact.Register(c.SecretAccessKey)
		redact.Register(c.SessionToken)
	}
	return c, err
}

// IsCredentialsProvider and ProviderSources let the SDK see through the
// wrapper (anonymous credentials, the user agent's credential source).
func (p registeringProvider) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(p.CredentialsProvider, target)
}

func (p registeringProvider) ProviderSources() []aws.CredentialSource {
	if s, ok := p.CredentialsProvider.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// sign adds a SigV4 signature for execute-api to req.
func (t *Target) sign(ctx context.Context, req *http.Request) error {
	cfg, err := t.AWSConfig(ctx)
	if err != nil {
		return err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	var body []byte
	if req.Body != nil {
		if body, err = io.ReadAll(req.Body); err != nil {
			return err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", cfg.Region, time.Now())
}

// Management returns the API Gateway control-plane client.
func (t *Target) Management(ctx context.Context) (*apigateway.Client, error) {
	if _, err := t.AWSConfig(ctx); err != nil {
		return nil, err
	}
	return t.aws.client, nil
}
