module github.com/connectorkit/connectors

go 1.25.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/gofrs/flock v0.13.1
	github.com/google/go-cmp v0.7.0
	github.com/pelletier/go-toml/v2 v2.4.3
	golang.org/x/sys v0.47.0
	golang.org/x/text v0.40.0
)
