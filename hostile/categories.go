package hostile

// All returns every category, in the order of the package table.
func All() []Category {
	return []Category{
		Methods(),
		TargetForms(),
		HTTPVersions(),
		DotSegments(),
		PercentEncoding(),
		HugeHeaders(),
		ManyHeaders(),
		LongURLs(),
		Chunked(),
		ContentLengthTransferEncoding(),
		Pipelining(),
		SlowBodies(),
		LargeBodies(),
		Management(),
		ManagementLargeBodies(),
		SigV4(),
		APIKeys(),
		WebSocketHandshakes(),
		WebSocketFrames(),
		FixtureParameters(),
		FailingIntegrations(),
	}
}
