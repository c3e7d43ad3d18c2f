using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace KlingGenerated.Simulator;

/// <summary>One option of the simulator's command line.</summary>
/// <param name="Name">The option, such as <c>--waiting-ms</c>.</param>
/// <param name="ValueName">What its value is, such as <c>N</c>; null for a flag.</param>
/// <param name="Description">One line for the help.</param>
public sealed record KlingSimulatorOption(string Name, string? ValueName, string Description)
{
    internal Action<KlingSimulatorOptions, string> Apply { get; init; } = (_, _) => { };
}

/// <summary>A command-line problem, in one line naming the option and what to give instead.</summary>
public sealed class KlingSimulatorCommandLineException(string message) : FormatException(message);

/// <summary>
/// The simulator's command line, the one parser behind both the standalone host (<c>KlingGenerated.Simulator</c>)
/// and <c>kling simulator</c>: timing, faults, rate limit, credits, authentication, memory and state options.
/// </summary>
public static class KlingSimulatorCommandLine
{
    /// <summary>Where a simulator started from the command line listens unless told otherwise.</summary>
    public const string DefaultUrls = "http://127.0.0.1:4010";

    /// <summary>Every option, in help order.</summary>
    public static IReadOnlyList<KlingSimulatorOption> Options { get; } =
    [
        new("--urls", "URL", $"Where to listen (default {DefaultUrls}; loopback only unless you give another address).") { Apply = (o, v) => o.Urls = v },
        new("--api-key", "KEY", "The API key to accept (default simulator-key).") { Apply = (o, v) => o.AcceptedApiKey = v },
        new("--no-auth", null, "Accept any key (each key still sees only its own tasks).") { Apply = (o, _) => o.DisableAuthentication = true },
        new("--webhook-hmac-key", "KEY", "Sign callbacks with this key.") { Apply = (o, v) => o.WebhookHmacKey = v },
        new("--waiting-ms", "N", "How long a new task stays waiting (default 1000).") { Apply = (o, v) => o.WaitingFor = Millis("--waiting-ms", v) },
        new("--queuing-ms", "N", "How long a task stays queuing (default 1000).") { Apply = (o, v) => o.QueuingFor = Millis("--queuing-ms", v) },
        new("--generating-ms", "N", "How long a task stays generating (default 2000).") { Apply = (o, v) => o.GeneratingFor = Millis("--generating-ms", v) },
        new("--visible-after-ms", "N", "For how long a new task's query answers \"recordInfo is null\" (default 0).") { Apply = (o, v) => o.RecordVisibleAfter = Millis("--visible-after-ms", v) },
        new("--callback-attempts", "N", "Attempts to deliver one callback (default 3).") { Apply = (o, v) => o.CallbackAttempts = (int)Whole("--callback-attempts", v, 0, int.MaxValue) },
        new("--callback-retry-ms", "N", "The wait between callback attempts (default 1000).") { Apply = (o, v) => o.CallbackRetryDelay = Millis("--callback-retry-ms", v) },
        new("--rate-limit", "N", "New tasks allowed per key in each window (default 20).") { Apply = (o, v) => o.RateLimit = (int)Whole("--rate-limit", v, 1, int.MaxValue) },
        new("--rate-limit-window-ms", "N", "The window of --rate-limit in milliseconds (default 10000).") { Apply = (o, v) => o.RateLimitWindow = Millis("--rate-limit-window-ms", v, minimum: 1) },
        new("--credits", "N", "Credits the account starts with (default 10000).") { Apply = (o, v) => o.Credits = Whole("--credits", v, 0, long.MaxValue / 2) },
        new("--credits-per-task", "N", "Credits every task costs (default: the document's price of each request, x-kling-pricing: 42 for 5 s, 84 for 10 s).") { Apply = (o, v) => o.CreditsPerTask = Whole("--credits-per-task", v, 0, int.MaxValue) },
        new("--fault", "LIST", "Faults for every request, comma-separated, such as maintenance or slow:500 (a wrong name lists them all).") { Apply = (o, v) => o.Fault = Faults("--fault", v) },
        new("--random-fault-rate", "X", "The share of requests (0 to 1) that get a random fault (default 0).") { Apply = (o, v) => o.RandomFaultRate = Share("--random-fault-rate", v) },
        new("--random-faults", "LIST", "The faults drawn at random, comma-separated.") { Apply = (o, v) => o.RandomFaults = Faults("--random-faults", v).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
        new("--random-fault-seed", "N", "The seed of the random faults (default 12345).") { Apply = (o, v) => o.RandomFaultSeed = (int)Whole("--random-fault-seed", v, int.MinValue, int.MaxValue) },
        new("--max-body-bytes", "N", "The largest request body accepted (default 65536); larger ones get HTTP 413.") { Apply = (o, v) => o.MaxRequestBodyBytes = (int)Whole("--max-body-bytes", v, 1024, int.MaxValue) },
        new("--max-uploads", "N", "The most uploaded files held at once (default 100); more are refused with success: false.") { Apply = (o, v) => o.MaxUploads = (int)Whole("--max-uploads", v, 1, int.MaxValue) },
        new("--max-upload-bytes", "N", "The most bytes of uploaded files held at once (default 67108864).") { Apply = (o, v) => o.MaxUploadStoreBytes = Whole("--max-upload-bytes", v, 1, long.MaxValue / 2) },
        new("--retention-minutes", "N", "How long a task is kept after creation (default 1440, 24 h).") { Apply = (o, v) => o.TaskRetention = TimeSpan.FromMinutes(Whole("--retention-minutes", v, 1, 60 * 24 * 365)) },
        new("--state-file", "PATH", "Keep tasks in this file so they survive a restart (default: in memory only).") { Apply = (o, v) => o.StateFile = v.Length > 0 ? v : throw new KlingSimulatorCommandLineException("--state-file needs a path.") },
    ];

    /// <summary>Reads <paramref name="args"/> into options; <c>--help</c> is not an option here (the host handles it).</summary>
    /// <remarks>
    /// System.CommandLine tokenizes and binds (<c>--name value</c>, <c>--name=value</c>, flags); this parser keeps only
    /// what it cannot say: one-line messages that name the option and what to give instead, and "did you mean".
    /// </remarks>
    /// <exception cref="KlingSimulatorCommandLineException">An unknown option, a missing or bad value, or options that do not fit together.</exception>
    public static KlingSimulatorOptions Parse(IReadOnlyList<string> args)
    {
        var command = new RootCommand();
        var symbols = Options.ToDictionary(o => o, o => o.ValueName is null ? (Option)new Option<bool>(o.Name) : new Option<string>(o.Name) { AllowMultipleArgumentsPerToken = false });
        foreach (var symbol in symbols.Values)
        {
            command.Options.Add(symbol);
        }

        if (args.FirstOrDefault(a => Options.Any(o => o.ValueName is null && a.StartsWith(o.Name + "=", StringComparison.Ordinal))) is { } flagWithValue)
        {
            throw new KlingSimulatorCommandLineException($"{flagWithValue.Split('=', 2)[0]} takes no value.");
        }

        var result = command.Parse(args.ToArray(), new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.UnmatchedTokens.FirstOrDefault() is { } unknown)
        {
            var name = unknown.Split('=', 2)[0];
            throw new KlingSimulatorCommandLineException($"unknown option '{unknown}'{Suggestion(name)}; see --help.");
        }

        if (result.Errors.Count > 0)
        {
            // The one error System.CommandLine reports for a declared option here is a missing value (or a value given to a flag).
            var option = Options.FirstOrDefault(o => result.Errors[0].Message.Contains(o.Name, StringComparison.Ordinal));
            throw new KlingSimulatorCommandLineException(option is null
                ? result.Errors[0].Message
                : option.ValueName is null ? $"{option.Name} takes no value." : $"{option.Name} needs a value ({option.ValueName}): {option.Description}");
        }

        var options = new KlingSimulatorOptions { Urls = DefaultUrls };

        // In the order given, as before: a later option may depend on an earlier one (none does today).
        foreach (var (option, symbol) in symbols.Where(pair => result.GetResult(pair.Value) is { Implicit: false }).OrderBy(pair => Position(args, pair.Key.Name)))
        {
            if (option.ValueName is null)
            {
                option.Apply(options, string.Empty);
            }
            else
            {
                var value = result.GetValue((Option<string>)symbol);
                if (value is null || (value.StartsWith("--", StringComparison.Ordinal) && value.Length > 2))
                {
                    throw new KlingSimulatorCommandLineException($"{option.Name} needs a value ({option.ValueName}): {option.Description}");
                }

                option.Apply(options, value);
            }
        }

        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new KlingSimulatorCommandLineException(string.Join(" ", problems));
        }

        return options;
    }

    private static int Position(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == name || args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    /// <summary>The line a host prints once listening; a key given with --api-key is not echoed (it may be a real one).</summary>
    public static string ListeningLine(KlingSimulator simulator, KlingSimulatorOptions options) =>
        $"Kling simulator listening on {simulator.BaseUrl} (API key: {(options.DisableAuthentication ? "any" : options.AcceptedApiKey == new KlingSimulatorOptions().AcceptedApiKey ? options.AcceptedApiKey : "the one given with --api-key")}). Press Ctrl+C to stop.";

    /// <summary>
    /// Warnings to print before listening: an address beyond loopback with the public default key (anyone who can reach
    /// the port can create tasks and read every create body) or without authentication.
    /// </summary>
    public static IReadOnlyList<string> Warnings(KlingSimulatorOptions options)
    {
        var warnings = new List<string>();
        var open = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(url => !IsLoopback(url)).ToList();
        if (open.Count > 0 && (options.DisableAuthentication || options.AcceptedApiKey == new KlingSimulatorOptions().AcceptedApiKey))
        {
            warnings.Add($"warning: listening on {string.Join(", ", open)}, beyond loopback, with {(options.DisableAuthentication ? "no authentication (--no-auth)" : "the public default key 'simulator-key'")}: anyone who can reach it can create tasks and read them. Give --api-key with a secret, or listen on 127.0.0.1.");
        }

        return warnings;
    }

    private static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    /// <summary>The help text: a usage line and one line per option.</summary>
    public static string Help(string command)
    {
        var text = new StringBuilder($"Usage: {command} [options]{Environment.NewLine}Runs the local simulator of the kie.ai Kling service until Ctrl+C.{Environment.NewLine}{Environment.NewLine}Options:{Environment.NewLine}");
        foreach (var option in Options)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {(option.ValueName is null ? option.Name : $"{option.Name} {option.ValueName}"),-26} {option.Description}");
        }

        return text.Append(CultureInfo.InvariantCulture, $"  {"-h, --help",-26} Show this help.").ToString();
    }

    /// <summary>
    /// Why the simulator could not start, in one line that says what to do: a port in use, a bad address, an
    /// unreadable state file, or bad options.
    /// </summary>
    public static string DescribeStartFailure(Exception exception, KlingSimulatorOptions options)
    {
        var line = exception switch
        {
            _ when Find<SocketException>(exception) is { SocketErrorCode: SocketError.AddressAlreadyInUse } || exception is IOException { Message: var m } && m.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                => $"cannot listen on {options.Urls}: the address is already in use. Stop what uses it, or choose another --urls.",
            _ when Find<SocketException>(exception) is { } socket
                => $"cannot listen on {options.Urls} ({socket.Message}). Choose another --urls.",
            ArgumentException { ParamName: "options" } => exception.Message,
            InvalidOperationException when options.StateFile is not null && exception.Message.Contains(Path.GetFullPath(options.StateFile), StringComparison.Ordinal) => exception.Message,
            _ => $"cannot start on {options.Urls} ({exception.Message}). Give --urls as http://HOST:PORT, for example {DefaultUrls}.",
        };
        return string.Join(' ', line.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static string Suggestion(string name)
    {
        var best = Options.MinBy(o => Distance(o.Name, name))!;
        return Distance(best.Name, name) <= 3 ? $" (did you mean {best.Name}?)" : string.Empty;
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }

        return row[b.Length];
    }

    private static TimeSpan Millis(string name, string value, long minimum = 0) => TimeSpan.FromMilliseconds(Whole(name, value, minimum, (long)TimeSpan.MaxValue.TotalMilliseconds / 2));

    private static long Whole(string name, string value, long minimum, long maximum) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= minimum && number <= maximum
            ? number
            : throw new KlingSimulatorCommandLineException($"{name} needs a whole number {(maximum >= int.MaxValue ? $"of at least {minimum.ToString(CultureInfo.InvariantCulture)}" : $"from {minimum.ToString(CultureInfo.InvariantCulture)} to {maximum.ToString(CultureInfo.InvariantCulture)}")}, not '{value}'.");

    private static double Share(string name, string value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var share) && share is >= 0 and <= 1
            ? share
            : throw new KlingSimulatorCommandLineException($"{name} needs a number from 0 to 1 with a '.' for decimals (such as 0.3), not '{value}'.");

    private static string Faults(string name, string value)
    {
        try
        {
            _ = SimulatorFault.Parse(value);
            return value;
        }
        catch (FormatException exception)
        {
            throw new KlingSimulatorCommandLineException($"{name}: {exception.Message}");
        }
    }
}
