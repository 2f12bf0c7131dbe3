using System.Globalization;

namespace Sift.Policy;

/// <summary>Business hours in the policy's time zone: whether an instant is inside them, and deadlines counted in them.</summary>
public sealed class BusinessClock
{
    private readonly TimeZoneInfo zone;
    private readonly HashSet<DayOfWeek> days;
    private readonly TimeSpan start;
    private readonly TimeSpan end;

    public BusinessClock(BusinessHoursPolicy hours, TimeZoneInfo zone)
    {
        this.zone = zone;
        days = [.. hours.Days.Select(d => Enum.Parse<DayOfWeek>(d, ignoreCase: true))];
        start = TimeSpan.ParseExact(hours.Start, "hh\\:mm", CultureInfo.InvariantCulture);
        end = TimeSpan.ParseExact(hours.End, "hh\\:mm", CultureInfo.InvariantCulture);
    }

    public bool IsOpen(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return days.Contains(local.DayOfWeek) && local.TimeOfDay >= start && local.TimeOfDay < end;
    }

    /// <summary>The instant when <paramref name="minutes"/> of business time have passed since <paramref name="from"/>.</summary>
    public DateTimeOffset AddBusinessMinutes(DateTimeOffset from, int minutes)
    {
        var left = TimeSpan.FromMinutes(minutes);
        var local = TimeZoneInfo.ConvertTime(from, zone).DateTime;

        // Walk day by day: at most a year of days, far beyond any SLA a policy can hold.
        for (var guard = 0; guard < 800; guard++)
        {
            var dayStart = local.Date + start;
            var dayEnd = local.Date + end;
            if (days.Contains(local.DayOfWeek) && local < dayEnd)
            {
                var from0 = local < dayStart ? dayStart : local;
                var available = dayEnd - from0;
                if (left <= available)
                {
                    return ToInstant(from0 + left);
                }

                left -= available;
            }

            local = local.Date.AddDays(1);
        }

        return from.AddMinutes(minutes);
    }

    private DateTimeOffset ToInstant(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddHours(1);
        }

        return new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified)).ToUniversalTime();
    }
}
