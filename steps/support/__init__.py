"""The helper layer the steps stand on: configuration, the shared HTTP client, tokens, assertions, local
process control and repository checks. Steps stay one or two lines; everything reusable lives here."""
