// Prometheus text exposition format 0.0.4, the building blocks every layer's families
// are written with (the pool's, the log queue's, the outbox's).
#pragma once

#include <string>

namespace ez::prometheus {

// Prometheus label value escaping (text format 0.0.4): backslash, quote, newline.
[[nodiscard]] std::string escape_label(const std::string& value);
// A float sample value as Prometheus reads it ("0.0025", "1e-05", "+Inf").
[[nodiscard]] std::string format_value(double value);

// Text-format building blocks: "# HELP"/"# TYPE" lines of a family, and one sample
// (`labels` already rendered, e.g. `route="/x",status="200"`, or empty).
void append_family(std::string& out, const char* name, const char* type, const char* help);
void append_sample(std::string& out, const std::string& name, const std::string& labels,
                   const std::string& value);

}  // namespace ez::prometheus
