using System.Globalization;

namespace KlingGenerated.Simulator;

/// <summary>
/// Faults the simulator can inject, chosen by <see cref="KlingSimulatorOptions.Fault"/> or per request by the
/// <c>X-Kling-Simulator-Fault</c> header. Values, combinable with commas:
/// <c>maintenance</c> (HTTP 200, code 455), <c>server-error</c> (HTTP 500, code 500), <c>rate-limited</c> (HTTP 429),
/// <c>generation-failed</c> (the task ends in <c>fail</c> with failCode 500), <c>drop</c> (the connection is closed
/// without an answer), <c>slow:MILLISECONDS</c> (the answer is delayed), and for createTask
/// <c>server-error-after-create</c> and <c>drop-after-create</c>, which create the task and then fail, as a real
/// service can. Two faults break the answer after the endpoint did its work (for createTask, the task exists):
/// <c>truncate</c> sends the headers and half the body, then closes the connection, and <c>stall</c> sends the same
/// and then nothing more until the client gives up.
/// Every other answer the document lists has a fault too, answered before the endpoint runs (nothing is created):
/// <c>code:NNN</c> (HTTP 200 with body code NNN), <c>status:NNN</c> (HTTP NNN with the error envelope, code NNN),
/// <c>edge-1010</c> (HTTP 403, <c>text/plain</c> <c>error code: 1010</c>), <c>html-502</c> (HTTP 502, an HTML page),
/// <c>empty-503</c> (HTTP 503, no body) and <c>legacy-message</c> (HTTP 200, code 401 with <c>message</c> instead of <c>msg</c>);
/// <see cref="Answer"/> holds it.
/// </summary>
public sealed record SimulatorFault(bool Maintenance, bool ServerError, bool RateLimited, bool GenerationFailed, bool Drop, TimeSpan Delay, bool AfterCreate = false, bool Truncate = false, bool Stall = false, DocumentedAnswer? Answer = null)
{
    /// <summary>The request header that chooses faults per request.</summary>
    public const string Header = "X-Kling-Simulator-Fault";

    /// <summary>No fault.</summary>
    public static readonly SimulatorFault None = new(false, false, false, false, false, TimeSpan.Zero);

    /// <summary>Reads a fault list such as <c>slow:500,maintenance</c>.</summary>
    /// <exception cref="FormatException">An unknown fault name.</exception>
    public static SimulatorFault Parse(string? text)
    {
        var fault = None;
        foreach (var part in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            fault = part.ToLowerInvariant() switch
            {
                "maintenance" => fault with { Maintenance = true },
                "server-error" => fault with { ServerError = true },
                "rate-limited" => fault with { RateLimited = true },
                "generation-failed" => fault with { GenerationFailed = true },
                "drop" => fault with { Drop = true },
                "server-error-after-create" => fault with { ServerError = true, AfterCreate = true },
                "drop-after-create" => fault with { Drop = true, AfterCreate = true },
                "truncate" => fault with { Truncate = true },
                "stall" => fault with { Stall = true },
                var answer when DocumentedAnswer.TryParse(answer) is { } documented => fault with { Answer = documented },
                var slow when slow.StartsWith("slow:", StringComparison.Ordinal)
                    && int.TryParse(slow[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) => fault with { Delay = TimeSpan.FromMilliseconds(ms) },
                _ => throw new FormatException($"Unknown simulator fault '{part}'. Use maintenance, server-error, server-error-after-create, rate-limited, generation-failed, drop, drop-after-create, truncate, stall, slow:MILLISECONDS, code:NNN, status:NNN, edge-1010, html-502, empty-503 or legacy-message."),
            };
        }

        return fault;
    }
}
