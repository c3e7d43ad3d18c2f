using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KlingGenerated.Redis.ScaleOut;

/// <summary>
/// A private PostgreSQL server: <c>initdb</c> into a new temporary folder, <c>pg_ctl start</c> on a free loopback port,
/// stopped and removed when disposed. PostgreSQL refuses to run as root, so as root it runs as the <c>postgres</c> user
/// (the folder is given to that user). When PostgreSQL is missing it is installed with apt-get, or the start fails
/// saying what to install (never skipped).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string Superuser = "postgres";
    private readonly string _bin;

    private PostgresServer(string bin, string folder, int port, string password)
    {
        _bin = bin;
        Folder = folder;
        Port = port;
        Password = password;
    }

    /// <summary>The temporary folder holding the cluster's data and log.</summary>
    public string Folder { get; }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>The superuser's password (the server asks for it: scram-sha-256, as a real server would).</summary>
    public string Password { get; }

    /// <summary>The superuser's URI for <paramref name="database"/>, as a user passes it to --ledger.</summary>
    public string Uri(string database = "postgres", string user = Superuser, string? password = null) =>
        $"postgresql://{System.Uri.EscapeDataString(user)}:{System.Uri.EscapeDataString(password ?? Password)}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    /// <summary>The Npgsql connection string of the superuser on <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={Superuser};Password={Password};Database={database};Pooling=false;Timeout=60;Command Timeout=60"; // generous: a loaded CI machine logs in slowly

    /// <summary>Creates a new cluster in a temporary folder and starts it.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindOrInstall();
        var folder = Directory.CreateTempSubdirectory("kling-pg-").FullName;
        var password = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var server = new PostgresServer(bin, folder, FreePort(), password);
        await File.WriteAllTextAsync(Path.Combine(folder, "pw"), password).ConfigureAwait(false);
        if (Environment.IsPrivilegedProcess)
        {
            Run("/bin/chown", ["-R", "postgres:postgres", folder], asPostgres: false);
        }

        server.Tool("initdb", "-D", server.Data, "-U", Superuser, "--pwfile", Path.Combine(folder, "pw"), "-A", "scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions");
        await server.StartAgainAsync().ConfigureAwait(false);
        return server;
    }

    private string Data => Path.Combine(Folder, "data");

    /// <summary>Starts the stopped server again on the same port.</summary>
    public Task StartAgainAsync()
    {
        Tool("pg_ctl", "start", "-w", "-t", "60", "-D", Data, "-l", Path.Combine(Folder, "log"), "-o", Options);
        return Task.CompletedTask;
    }

    /// <summary>Stops it (fast: the server ends every session and shuts down cleanly).</summary>
    public void Stop() => Tool("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", Data);

    /// <summary><c>pg_ctl restart</c>: every session ends, the server comes back on the same port.</summary>
    public void Restart() => Tool("pg_ctl", "restart", "-w", "-t", "60", "-m", "fast", "-D", Data, "-l", Path.Combine(Folder, "log"), "-o", Options);

    /// <summary>Runs SQL as the superuser on <paramref name="database"/>.</summary>
    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>How many batch workers are registered in the kling ledger at <paramref name="ledgerUri"/> (0 before its tables exist).</summary>
    public int CountWorkers(string ledgerUri)
    {
        using var connection = new Npgsql.NpgsqlConnection(ConnectionString(new System.Uri(ledgerUri).AbsolutePath.Trim('/')));
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand("SELECT CASE WHEN to_regclass('kling.workers') IS NULL THEN 0 ELSE (SELECT COUNT(*) FROM kling.workers)::int END;", connection);
        return (int)command.ExecuteScalar()!;
    }

    /// <summary>A new empty database; returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var name = (prefix ?? "kling") + "_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync($"CREATE DATABASE {name};").ConfigureAwait(false);
        return name;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            Tool("pg_ctl", "stop", "-w", "-t", "30", "-m", "immediate", "-D", Data);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private string Options => $"-p {Port.ToString(CultureInfo.InvariantCulture)} -c listen_addresses=127.0.0.1 -k {Folder} -c fsync=off -c max_connections=200";

    private void Tool(string tool, params string[] arguments) => Run(Path.Combine(_bin, tool), arguments, Environment.IsPrivilegedProcess);

    private static void Run(string file, string[] arguments, bool asPostgres)
    {
        var start = asPostgres
            ? new ProcessStartInfo(File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser", ["-u", "postgres", "--", file, .. arguments])
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath(); // postgres may not read the caller's folder
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed with code {process.ExitCode}: {errors.Trim()} {output.Result.Trim()}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The folder of initdb, pg_ctl and postgres: on PATH, /usr/local/bin, or Debian's /usr/lib/postgresql/N/bin.</summary>
    internal static string? Find()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/local/bin").Append("/usr/local/pgsql/bin")
            .Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.EnumerateDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin"))
                : []);
        return candidates.FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres")));
    }

    private static string FindOrInstall()
    {
        if (Find() is { } found)
        {
            return found;
        }

        if (File.Exists("/usr/bin/apt-get") && Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("PostgreSQL is missing; installing Debian's postgresql with apt-get...");
            Run("/usr/bin/apt-get", ["update", "-qq"], asPostgres: false);
            Run("/usr/bin/apt-get", ["install", "-y", "-qq", "postgresql"], asPostgres: false);
            if (Find() is { } installed)
            {
                return installed;
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL (initdb, pg_ctl, postgres) is not installed and could not be installed. Install it (Debian/Ubuntu: sudo apt-get install -y postgresql; macOS: brew install postgresql) and run the tests again.");
    }
}
