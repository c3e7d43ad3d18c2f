using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KlingGenerated.Redis.ScaleOut;

/// <summary>
/// A private redis-server (Debian's) on a free loopback port, without persistence; disposing stops it.
/// When redis-server is missing it is installed with apt-get, or the start fails saying what to install.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(string executable, int port, string? password)
    {
        Executable = executable;
        Port = port;
        Password = password;
    }

    /// <summary>The redis-server binary.</summary>
    public string Executable { get; }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>The password clients must give (redis-server's requirepass), or null for none.</summary>
    public string? Password { get; }

    /// <summary>The StackExchange.Redis configuration string for it (with its password= when it has one).</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000" + (Password is null ? string.Empty : $",password={Password}");

    /// <summary>The process id of the running server (to stop and continue it with signals), or null.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Whether it runs now.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a redis-server on a free loopback port, asking clients for <paramref name="password"/> when one is given.</summary>
    public static async Task<RedisServer> StartAsync(string? password = null)
    {
        var server = new RedisServer(FindOrInstall(), FreePort(), password);
        await server.RestartAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts it again on the same port (after <see cref="Kill"/>).</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var start = new ProcessStartInfo(Executable, ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning", "--dir", Path.GetTempPath(),
            .. (Password is null ? Array.Empty<string>() : ["--requirepass", Password])])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Executable}.");
        var output = new System.Text.StringBuilder();
        _process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited at start with code {_process.ExitCode}: {output}");
            }

            if (await PingsAsync().ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"redis-server did not answer PING on 127.0.0.1:{Port} within 10 s: {output}");
    }

    /// <summary>Kills it at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> PingsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray()).ConfigureAwait(false);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            var answer = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
            return answer.StartsWith("+PONG", StringComparison.Ordinal) || answer.StartsWith("-NOAUTH", StringComparison.Ordinal); // up, asking for its password
        }
        catch (Exception exception) when (exception is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindOrInstall()
    {
        if (Find() is { } found)
        {
            return found;
        }

        if (File.Exists("/usr/bin/apt-get"))
        {
            Console.Error.WriteLine("redis-server is missing; installing Debian's redis-server with apt-get...");
            Run("/usr/bin/apt-get", "update -qq");
            Run("/usr/bin/apt-get", "install -y -qq redis-server");
            if (Find() is { } installed)
            {
                return installed;
            }
        }

        throw new InvalidOperationException(
            "redis-server is not installed and could not be installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run the tests again.");
    }

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists);

    private static void Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed with code {process.ExitCode} ({errors.Trim()}). Install redis-server yourself (sudo apt-get install -y redis-server) and run the tests again.");
        }

        _ = output.Result;
    }
}
