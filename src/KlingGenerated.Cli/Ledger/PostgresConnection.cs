using System.Globalization;
using Npgsql;

namespace KlingGenerated.Cli.Ledger;

/// <summary>Reads a <c>postgresql://user:password@host:port/database?sslmode=…</c> ledger setting into Npgsql's settings.</summary>
internal static class PostgresConnection
{
    // The libpq parameters a user is likely to put in the URI, and Npgsql's names for them.
    private static readonly Dictionary<string, string> Parameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
        ["target_session_attrs"] = "Target Session Attributes",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
    };

    /// <summary>The connection settings, and the URI as it may be shown (without its password).</summary>
    /// <exception cref="UsageException">The setting is not a PostgreSQL URI this kling can read.</exception>
    public static (NpgsqlConnectionStringBuilder Builder, string Location) Parse(string setting)
    {
        if (!Uri.TryCreate(setting.Trim(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new UsageException($"--ledger {Redacted(setting)} is not a PostgreSQL URI such as postgresql://kling@db.example:5432/kling (the password is best left to PGPASSWORD or ~/.pgpass).");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } database ? Uri.UnescapeDataString(database) : null,
            // A refused connection fails at once; a server that does not answer fails the command within 15 s, before
            // anything is sent (5 s was measured too short for a busy machine's login).
            Timeout = 15,
            CommandTimeout = 60,
            ApplicationName = "kling",
            // Few connections per process: a batch writes from a handful of tasks at once.
            MaxPoolSize = 10,
        };
        if (uri.UserInfo is { Length: > 0 } userInfo)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            }
        }

        builder.Username ??= Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        builder.Database ??= builder.Username;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            if (name.Equals("password", StringComparison.OrdinalIgnoreCase) || name.Equals("user", StringComparison.OrdinalIgnoreCase))
            {
                if (name.Equals("password", StringComparison.OrdinalIgnoreCase))
                {
                    builder.Password = value;
                }
                else
                {
                    builder.Username = value;
                }

                continue;
            }

            try
            {
                builder[Parameters.TryGetValue(name, out var npgsqlName) ? npgsqlName : name] = value;
            }
            catch (Exception exception) when (exception is ArgumentException or FormatException)
            {
                throw new UsageException($"--ledger: the parameter {Ledger.Text.Safe(name, 40)} of the PostgreSQL URI is not understood ({Ledger.Text.Safe(exception.Message)}); known ones include {string.Join(", ", Parameters.Keys)}.");
            }
        }

        var shown = $"postgresql://{Uri.EscapeDataString(builder.Username!)}@{(uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.DnsSafeHost + "]" : uri.Host)}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(builder.Database!)}";
        return (builder, shown);
    }

    /// <summary>A ledger setting as it may be printed: a URI's password, and any <c>password=</c> value, replaced by ***.</summary>
    public static string Redacted(string setting) => SecretText.Redact(setting);
}
