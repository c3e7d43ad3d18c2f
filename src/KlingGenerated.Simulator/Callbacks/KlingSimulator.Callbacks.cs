using System.Globalization;
using System.Text;

namespace KlingGenerated.Simulator;

/// <summary>Callbacks: when a task ends, its record is POSTed to callBackUrl (signed when asked), retried, and never trusted back.</summary>
public sealed partial class KlingSimulator
{
    private async Task DeliverCallbackAsync(SimulatedTask task)
    {
        try
        {
            // From the task's real creation time, so a task restored from the state file calls back on schedule.
            var ended = task.CreatedAt + SimulatedTask.Duration(_options);
            var wait = ended - Now;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _options.TimeProvider, _stopping.Token).ConfigureAwait(false);
            }

            // The timer and the wall clock can disagree by a millisecond: describe the task as ended, whatever Now says.
            var record = task.ToRecord(Now > ended ? Now : ended, _options, BaseUrl);
            var succeeded = (string?)record["state"] == "success";
            var payload = Envelope(succeeded ? 200 : 501, succeeded ? "Playground task completed successfully." : "Playground task failed.", record).ToJsonString(Json);

            for (var attempt = 1; attempt <= _options.CallbackAttempts; attempt++)
            {
                Interlocked.Increment(ref _callbackAttempts);
                using var message = new HttpRequestMessage(HttpMethod.Post, task.CallBackUrl) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
                if (_options.WebhookHmacKey is { } hmacKey)
                {
                    var timestamp = Now.ToUnixTimeSeconds();
                    message.Headers.Add("X-Webhook-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
                    message.Headers.Add("X-Webhook-Signature", KlingWebhook.ComputeSignature(task.TaskId, timestamp, hmacKey));
                }

                try
                {
                    using var response = await _callbackClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, _stopping.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // The receiver is down: count it as a failed attempt, like the service.
                }
                catch (TaskCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    // The receiver took longer than 15 s: a failed attempt.
                }

                if (attempt < _options.CallbackAttempts)
                {
                    await Task.Delay(_options.CallbackRetryDelay, _options.TimeProvider, _stopping.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The simulator stopped.
        }
    }

    private void ScheduleCallback(SimulatedTask task)
    {
        var delivery = Task.Run(() => DeliverCallbackAsync(task));
        _callbacks.TryAdd(delivery, 0);
        delivery.ContinueWith(done => _callbacks.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
