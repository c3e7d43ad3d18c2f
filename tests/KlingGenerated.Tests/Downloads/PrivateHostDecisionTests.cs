namespace KlingGenerated.Tests.Downloads;

/// <summary>
/// KlingDownloadOptions.IsPrivateHostAsync, the rule the CLI applies to its base URL to decide RefusePrivateHosts.
/// Only IP literals (decided without any lookup or traffic) and localhost (the machine's own hosts file) are asked.
/// </summary>
public sealed class PrivateHostDecisionTests
{
    [Theory]
    [InlineData("http://127.0.0.1:4010/")]
    [InlineData("http://localhost:4010/")]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://192.168.1.20:8080/")]
    [InlineData("http://169.254.169.254/")]
    [InlineData("http://[::1]:4010/")]
    [InlineData("http://[fd00::5]/")]
    public async Task A_loopback_private_or_link_local_host_is_private(string url)
    {
        (await KlingDownloadOptions.IsPrivateHostAsync(new Uri(url))).Should().BeTrue(url);
    }

    [Theory]
    [InlineData("https://203.0.113.7/")] // TEST-NET-3, a documentation address: decided from the literal, never contacted
    [InlineData("http://198.51.100.20:4010/")]
    [InlineData("https://[2001:db8::1]/")]
    public async Task A_public_address_is_not_private(string url)
    {
        (await KlingDownloadOptions.IsPrivateHostAsync(new Uri(url))).Should().BeFalse(url);
    }
}
