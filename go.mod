module github.com/connectorkit/connectors

go 1.25

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/google/go-cmp v0.7.0
)
