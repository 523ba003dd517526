module github.com/gotensor/gt

go 1.24.4

require gonum.org/v1/gonum v0.17.0
