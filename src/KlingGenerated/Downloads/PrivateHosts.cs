using System.Net;
using System.Net.Sockets;

namespace KlingGenerated;

/// <summary>
/// <see cref="KlingDownloadOptions.RefusePrivateHosts"/>: a result URL (or a redirect) must not reach this machine, the
/// local network or a cloud metadata service. Checked on the addresses a host name resolves to, before each hop is sent,
/// and, on the built-in download handler, on the address actually connected to (a name that resolves again elsewhere).
/// </summary>
// CUSTOM: result URLs are the service's text; a server that downloads them for others must not be steered inside (SSRF).
internal static class PrivateHosts
{
    /// <summary>Set on a download request whose connection must not reach a private address.</summary>
    public static readonly HttpRequestOptionsKey<bool> RefuseKey = new("KlingGenerated.RefusePrivateHosts");

    /// <summary>True for loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10), shared (100.64/10), site-local and unspecified addresses.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        var b = address.GetAddressBytes();
        return b[0] is 0 or 10 or 127 || b[0] >= 224 // "this" network, private, loopback, multicast and reserved
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) // link-local, where cloud metadata services answer
            || (b[0] == 100 && b[1] is >= 64 and <= 127);
    }

    /// <summary>Throws when <paramref name="url"/>'s host is, or resolves to, a private address.</summary>
    public static async Task CheckAsync(Uri url, CancellationToken cancellationToken)
    {
        if (await FindPrivateAsync(url, cancellationToken).ConfigureAwait(false) is { } inside)
        {
            throw Refused(url.Host, inside);
        }
    }

    /// <summary>The first private address <paramref name="url"/>'s host is or resolves to; null when none (or unresolvable: the request itself then fails to connect).</summary>
    public static async Task<IPAddress?> FindPrivateAsync(Uri url, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                return null;
            }
        }

        return addresses.FirstOrDefault(IsPrivate);
    }

    /// <summary>The built-in download handler's connect step: connects only to public addresses when the request asks for it.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
        if (context.InitialRequestMessage.Options.TryGetValue(RefuseKey, out var refuse) && refuse && addresses.FirstOrDefault(IsPrivate) is { } inside)
        {
            throw Refused(context.DnsEndPoint.Host, inside);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static KlingDownloadException Refused(string host, IPAddress address) =>
        new(KlingDownloadFailure.InvalidUrl, $"The result host {host} is a private, loopback or link-local address ({address}), which KlingDownloadOptions.RefusePrivateHosts refuses; nothing was sent to it and nothing was kept.");
}
