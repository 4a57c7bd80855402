"""bpg's configuration: flags > environment > the profile in ~/.config/bpg/config > ~/.netrc,
the password from BPG_PASSWORD, a password_command or netrc, never in the process list."""
import os
import subprocess
import unittest
import urllib.parse

from cli import BPG, ENV, Home, base_env, make_app, no_control, run, stack_env

DEAD = "https://127.0.0.1:1/apiv2"     # nothing listens there: exit 3 if it is used


def profile(name, **keys):
    return "[%s]\n" % name + "".join("%s = %s\n" % kv for kv in keys.items())


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.home = Home()
        self.pwfile = self.home.write("pw", ENV["BPG_PASSWORD"] + "\n")
        self.home.write(".config/bpg/config",
                        profile("default", url=DEAD, user=ENV["BPG_USER"], cacert=ENV["BPG_CACERT"],
                                password_command="cat " + self.pwfile) +
                        profile("stack", url=ENV["BPG_URL"], user=ENV["BPG_USER"], cacert=ENV["BPG_CACERT"],
                                password_command="cat " + self.pwfile) +
                        profile("typo", url=ENV["BPG_URL"], usr="x"))

    def tearDown(self):
        self.home.cleanup()

    def health(self, *flags, **env):
        rc, out, err = run(["health", *flags], base_env(self.home.path, **env))
        no_control(self, out, err)
        return rc, err

    def test_default_profile_then_environment_then_flags(self):
        self.assertEqual(self.health()[0], 3)                                 # default profile: DEAD
        self.assertEqual(self.health(BPG_URL=ENV["BPG_URL"])[0], 0)           # env over profile
        self.assertEqual(self.health("--url", ENV["BPG_URL"], BPG_URL=DEAD)[0], 0)   # flag over env
        rc, err = self.health("--url", DEAD, BPG_URL=ENV["BPG_URL"])
        self.assertEqual(rc, 3)
        self.assertIn(DEAD, err)

    def test_named_profile_by_flag_and_environment(self):
        self.assertEqual(self.health("--profile", "stack")[0], 0)
        self.assertEqual(self.health(BPG_PROFILE="stack")[0], 0)
        self.assertEqual(self.health("--profile", "default", BPG_PROFILE="stack")[0], 3)   # flag wins
        self.assertEqual(self.health("--profile", "stack", BPG_URL=DEAD)[0], 3)   # env over profile
        rc, err = self.health("--profile", "nosuch")
        self.assertEqual(rc, 2)
        self.assertIn("profile 'nosuch' is not in", err)
        rc, err = self.health("--profile", "typo", BPG_PASSWORD=ENV["BPG_PASSWORD"], BPG_USER=ENV["BPG_USER"],
                              BPG_CACERT=ENV["BPG_CACERT"])
        self.assertEqual(rc, 0, err)
        self.assertIn("[typo] usr: unknown key", err)

    def test_environment_alone_and_no_url_at_all(self):
        os.remove(os.path.join(self.home.path, ".config/bpg/config"))
        rc, out, err = run(["health"], stack_env(self.home.path))
        self.assertEqual(rc, 0, err)
        rc, out, err = run(["health"], base_env(self.home.path))
        self.assertEqual(rc, 2)
        self.assertIn("no server URL", err)

    def test_password_command_failure_is_a_usage_error(self):
        self.home.write(".config/bpg/config", profile("default", url=ENV["BPG_URL"], user=ENV["BPG_USER"],
                                                       cacert=ENV["BPG_CACERT"], password_command="false"))
        rc, err = self.health()
        self.assertEqual(rc, 2)
        self.assertIn("password_command failed", err)
        self.assertEqual(self.health(BPG_PASSWORD=ENV["BPG_PASSWORD"])[0], 0)   # env over the command

    def test_password_command_may_contain_semicolons_and_hashes(self):
        # iniparser would end the value at ';' (a comment): the command is the whole line
        for cmd in ("true; cat %s #x" % self.pwfile, "'true; cat %s'" % self.pwfile):
            self.home.write(".config/bpg/config", profile("default", url=ENV["BPG_URL"], user=ENV["BPG_USER"],
                                                           cacert=ENV["BPG_CACERT"], password_command=cmd) +
                            profile("other", password_command="false"))
            rc, err = self.health()
            self.assertEqual(rc, 0, (cmd, err))

    def test_netrc_gives_user_and_password(self):
        host = urllib.parse.urlsplit(ENV["BPG_URL"]).hostname
        self.home.write(".netrc", "machine other.example login x password y\n"
                                  "machine %s login %s password %s\n" % (host, ENV["BPG_USER"], ENV["BPG_PASSWORD"]))
        env = dict(BPG_URL=ENV["BPG_URL"], BPG_CACERT=ENV["BPG_CACERT"])
        os.remove(os.path.join(self.home.path, ".config/bpg/config"))
        self.assertEqual(self.health(**env)[0], 0)                               # user and password
        self.assertEqual(self.health(BPG_USER=ENV["BPG_USER"], **env)[0], 0)     # password for that user
        self.assertEqual(self.health(BPG_USER="someone", **env)[0], 5)           # no entry for that user
        self.home.write(".netrc", "machine %s login %s password wrong\n" % (host, ENV["BPG_USER"]))
        self.assertEqual(self.health(**env)[0], 5)

    def test_the_password_is_never_in_the_process_list(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        for env in (stack_env(self.home.path), base_env(self.home.path, BPG_PROFILE="stack")):
            p = subprocess.Popen([BPG, "wait", sid], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            try:
                while "RUNNING" not in p.stderr.readline():   # it has authenticated and polled
                    self.assertIsNone(p.poll())
                ps = subprocess.run(["ps", "-eo", "args", "ww"], capture_output=True, text=True).stdout
                self.assertIn("%s wait %s" % (BPG, sid), ps)
                self.assertNotIn(ENV["BPG_PASSWORD"], ps)
                with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                    self.assertNotIn(ENV["BPG_PASSWORD"].encode(), f.read())
            finally:
                p.kill()
                p.wait()
        rc, out, err = run(["--password", ENV["BPG_PASSWORD"], "health"], stack_env(self.home.path))
        self.assertEqual(rc, 2)     # there is no password flag


if __name__ == "__main__":
    unittest.main()
