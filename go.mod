module github.com/bkjob-mock/bkjob-mock

go 1.26.8

require (
	github.com/brianvoe/gofakeit/v6 v6.28.0 // indirect
	github.com/getkin/kin-openapi v0.153.0 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
