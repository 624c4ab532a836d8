from django.core.management.base import BaseCommand

from jobs.simulator import Simulator, SimulatorConfig


class Command(BaseCommand):
    help = "Serve the DRS simulator (IAM tokens, AK/SK, backup-migration jobs) on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--bulk-jobs", type=int, default=SimulatorConfig.bulk_jobs)
        parser.add_argument("--live-jobs", type=int, default=SimulatorConfig.live_jobs)

    def handle(self, *args, host, port, bulk_jobs, live_jobs, **options):
        config = SimulatorConfig(bulk_jobs=bulk_jobs, live_jobs=live_jobs)
        simulator = Simulator(config, host=host, port=port)
        domain, user, password = config.iam_users[0]
        access_key, secret_key = next(iter(config.access_keys.items()))
        # Simulator credentials are demo values, printed on purpose.
        self.stdout.write(
            f"DRS simulator on {simulator.url}\n"
            f"  project id: {config.project_id}\n"
            f"  IAM password: domain={domain} user={user} password={password}\n"
            f"  AK/SK: {access_key} / {secret_key}\n"
        )
        try:
            simulator.serve_forever()
        except KeyboardInterrupt:
            simulator.stop()
